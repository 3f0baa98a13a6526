"""Format-logical control of a product card against the reference data (pure: the directories are passed in)."""

from dataclasses import dataclass, replace
from typing import Any

import msgspec

from api.domain.codes.gs1 import gtin_not_for_trade_items, normalise_gtin
from api.domain.participants.rules import parse_bin
from api.domain.products.schemas import ProductIn, ProductPackIn
from api.faults import Fault, InvalidInput

PACK_LEVELS = ("GROUP_PACK", "TRANSPORT_PACK")


@dataclass(frozen=True)
class Directories:
    """The reference entries a product card is checked against."""

    product_groups: dict[str, dict[str, Any]]  # code → attributes (tnved_headings, allows_group_pack …)
    tnved: set[str]
    countries: set[str]


def _gtin(value: str, path: str, faults: list[Fault], index: int | None = None) -> str | None:
    try:
        gtin = normalise_gtin(value)
    except InvalidInput as exc:
        faults.extend(replace(f, path=path, index=index) for f in exc.faults)
        return None
    if (restricted := gtin_not_for_trade_items(value)) is not None:  # marking needs a number unique worldwide
        faults.append(Fault("product.gtin_restricted", path, index,
                            params={"value": value, "prefix": restricted[1], "shape": restricted[0]}))
        return None
    return gtin


def _check_classification(card: ProductIn, refs: Directories, faults: list[Fault]) -> dict[str, Any] | None:
    group = refs.product_groups.get(card.product_group)
    if group is None:
        faults.append(Fault("product.unknown_group", "product_group",
                            params={"value": card.product_group, "known": ", ".join(sorted(refs.product_groups))}))
    tnved = card.tnved.strip()
    if not (tnved.isascii() and tnved.isdigit() and 4 <= len(tnved) <= 10):
        faults.append(Fault("product.tnved_format", "tnved", params={"value": card.tnved}))
    elif tnved[:4] not in refs.tnved:
        faults.append(Fault("product.unknown_tnved", "tnved", params={"value": tnved}))
    elif group is not None and tnved[:4] not in group.get("tnved_headings", []):
        faults.append(Fault("product.tnved_not_in_group", "tnved", params={
            "value": tnved, "group": card.product_group, "headings": ", ".join(group.get("tnved_headings", []))}))
    return group


def _check_parties(card: ProductIn, refs: Directories, faults: list[Fault]) -> str:
    for field in ("name_kk", "name_ru", "manufacturer"):
        if not getattr(card, field).strip():
            faults.append(Fault("field.required", field, params={"field": field}))
    country = card.country.strip().upper()
    if country not in refs.countries:
        faults.append(Fault("product.unknown_country", "country", params={"value": card.country}))
    for field in ("manufacturer_bin", "importer_bin"):
        value = getattr(card, field)
        if value is not None:
            checked = parse_bin(value, path=field)
            if isinstance(checked, Fault):
                faults.append(checked)
    if country in refs.countries and country != "KZ" and not card.importer_bin:  # an unknown one is named above
        faults.append(Fault("product.importer_required", "importer_bin", params={"country": country}))
    return country


def _check_packs(
    card: ProductIn, group: dict[str, Any] | None, unit_gtin: str | None, faults: list[Fault]
) -> list[ProductPackIn]:
    packs: list[ProductPackIn] = []
    seen = {unit_gtin}
    for i, pack in enumerate(card.packs):
        pack_gtin = _gtin(pack.gtin, "packs.gtin", faults, i)
        if pack.level not in PACK_LEVELS:
            faults.append(Fault("product.pack_level", "packs.level", i, params={"value": pack.level}))
        elif pack.level == "GROUP_PACK" and group is not None and not group.get("allows_group_pack", True):
            faults.append(Fault("product.group_pack_not_allowed", "packs.level", i,
                                params={"group": card.product_group}))
        if pack.units < 1:
            faults.append(Fault("product.pack_units", "packs.units", i, params={"value": pack.units}))
        if pack_gtin is not None and pack_gtin in seen:
            faults.append(Fault("product.duplicate_gtin", "packs.gtin", i, params={"gtin": pack_gtin}))
        seen.add(pack_gtin)
        packs.append(ProductPackIn(gtin=pack_gtin or pack.gtin, level=pack.level, units=pack.units))
    return packs


def check_product(card: ProductIn, refs: Directories) -> tuple[ProductIn, list[Fault]]:
    """The card with GTINs normalised to 14 digits, and every rule it breaks."""
    faults: list[Fault] = []
    gtin = _gtin(card.gtin, "gtin", faults)
    group = _check_classification(card, refs, faults)
    country = _check_parties(card, refs, faults)
    packs = _check_packs(card, group, gtin, faults)
    normalised = msgspec.structs.replace(card, gtin=gtin or card.gtin, tnved=card.tnved.strip(), country=country,
                                         packs=packs)
    return normalised, faults
