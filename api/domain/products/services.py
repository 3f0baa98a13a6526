"""Registering and reading product cards."""

import datetime as dt

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.codes.gs1 import normalise_gtin
from api.domain.products.rules import Directories, check_product
from api.domain.products.schemas import ProductCard, ProductIn, ProductPack
from api.faults import Conflict, Fault, Forbidden, InvalidInput, NotFound
from api.security.context import RequestContext
from warehouse.models import Participant, Product, ReferenceEntry
from warehouse.models import ProductPack as PackRow
from warehouse.reference.queries import entries_stmt

OWNER_TYPES = {"MANUFACTURER", "IMPORTER"}


async def _directories(session: AsyncSession) -> Directories:
    today = dt.date.today()

    async def entries(directory: str) -> list[ReferenceEntry]:
        return list(await session.scalars(entries_stmt(directory, at=today)))

    return Directories(
        product_groups={e.code: e.attributes for e in await entries("product_groups")},
        tnved={e.code for e in await entries("tnved")},
        countries={e.code for e in await entries("countries")},
    )


def _card(product: Product, packs: list[PackRow]) -> ProductCard:
    return ProductCard(
        gtin=product.gtin, owner_bin=product.owner_bin, product_group=product.product_group, tnved=product.tnved,
        name_kk=product.name_kk, name_ru=product.name_ru, manufacturer=product.manufacturer,
        country=product.country, brand=product.brand, manufacturer_bin=product.manufacturer_bin,
        importer_bin=product.importer_bin, created_at=product.created_at,
        packs=[ProductPack(gtin=p.gtin, level=p.level, units=p.units) for p in packs],
    )


NAMED_COMPANIES = (("manufacturer_bin", "MANUFACTURER"), ("importer_bin", "IMPORTER"))


async def _named_companies(session: AsyncSession, card: ProductIn, owner: Participant) -> list[Fault]:
    """A card may name a manufacturer and an importer by BIN; the public sees them when it checks a code, so
    each must be an active participant of that type (the owner itself, or another one)."""
    faults = []
    for field, kind in NAMED_COMPANIES:
        bin_ = getattr(card, field)
        if bin_ is None:
            continue
        types = owner.types if bin_ == owner.bin else (await session.execute(
            text("SELECT ops.active_participant_types(:bin)"), {"bin": bin_})).scalar()
        if not types or kind not in types:
            faults.append(Fault("product.not_a_participant", field, params={"bin": bin_, "type": kind}))
    return faults


async def register_product(ctx: RequestContext, card: ProductIn) -> ProductCard:
    ctx.action, ctx.object_id = "products.register", card.gtin
    async with ctx.transaction(status=201) as session:
        owner = await session.get(Participant, ctx.principal.bin)
        if owner is None or not OWNER_TYPES & set(owner.types):
            raise Forbidden(Fault("product.owner_type", "gtin", params={"types": ", ".join(sorted(OWNER_TYPES))}))
        card, faults = check_product(card, await _directories(session))
        if not faults:
            faults = await _named_companies(session, card, owner)
        if faults:
            raise InvalidInput(*faults)
        ctx.object_id = card.gtin
        product = Product(
            gtin=card.gtin, owner_bin=owner.bin, product_group=card.product_group, tnved=card.tnved,
            name_kk=card.name_kk.strip(), name_ru=card.name_ru.strip(), brand=card.brand,
            manufacturer=card.manufacturer.strip(), manufacturer_bin=card.manufacturer_bin, country=card.country,
            importer_bin=card.importer_bin,
        )
        packs = [PackRow(gtin=p.gtin, product_gtin=card.gtin, owner_bin=owner.bin, level=p.level, units=p.units)
                 for p in card.packs]
        # Each row in its own savepoint, so a conflict names the GTIN that is taken (row-level security keeps
        # the key out of PostgreSQL's error detail): the unit's, or which pack's.
        rows: list[tuple[int | None, Product | PackRow]] = [(None, product), *enumerate(packs)]
        for index, row in rows:
            try:
                async with session.begin_nested():
                    session.add(row)
                    await session.flush()
            except IntegrityError:
                if index is None and (same := await _same_card_registered(session, product, packs)) is not None:
                    ctx.pending_status = 200  # a retry of the owner's own request: answered as the first one was
                    return same
                path = "gtin" if index is None else "packs.gtin"
                raise Conflict(Fault("product.gtin_taken", path, index, params={"gtin": row.gtin})) from None
        await session.refresh(product)
        return _card(product, packs)


CARD_FIELDS = ("owner_bin", "product_group", "tnved", "name_kk", "name_ru", "brand", "manufacturer",
               "manufacturer_bin", "country", "importer_bin")


async def _same_card_registered(session: AsyncSession, product: Product, packs: list[PackRow]) -> ProductCard | None:
    """The caller's own card for this GTIN when it is the one now sent (a retried request), else None: another
    participant's card is invisible here (row-level security), and a different card is a conflict."""
    stored = (await session.execute(select(Product).where(Product.gtin == product.gtin)
                                    .execution_options(populate_existing=True))).scalar_one_or_none()
    if stored is None or any(getattr(stored, f) != getattr(product, f) for f in CARD_FIELDS):
        return None
    stored_packs = list(await session.scalars(select(PackRow).where(PackRow.product_gtin == product.gtin)))
    if sorted((p.gtin, p.level, p.units) for p in stored_packs) != sorted((p.gtin, p.level, p.units) for p in packs):
        return None
    return _card(stored, stored_packs)


async def product_card(ctx: RequestContext, gtin: str) -> ProductCard:
    normalised = normalise_gtin(gtin, "gtin")
    ctx.action, ctx.object_id = "products.card", normalised
    async with ctx.transaction() as session:
        product = await session.get(Product, normalised)
        if product is None:  # another participant's card is invisible (row-level security)
            raise NotFound(Fault("product.not_found", "gtin", params={"gtin": normalised}))
        packs = list(await session.scalars(select(PackRow).where(PackRow.product_gtin == normalised)))
        return _card(product, packs)


async def list_products(ctx: RequestContext, limit: int, after: str | None = None) -> list[ProductCard]:
    ctx.action = "products.list"
    query = select(Product).order_by(Product.gtin).limit(limit)
    if after is not None:
        query = query.where(Product.gtin > normalise_gtin(after, "after"))
    async with ctx.transaction() as session:
        products = list(await session.scalars(query))
        packs = list(await session.scalars(
            select(PackRow).where(PackRow.product_gtin.in_([p.gtin for p in products]))))
    return [_card(p, [k for k in packs if k.product_gtin == p.gtin]) for p in products]
