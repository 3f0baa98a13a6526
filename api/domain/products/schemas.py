"""Shapes of the product catalogue endpoints."""

import datetime as dt
from typing import Annotated

import msgspec

# Upper bounds, so a card stays a card (a 100,000-character name is refused, not stored and shown to the public).
Name = Annotated[str, msgspec.Meta(max_length=500)]
Short = Annotated[str, msgspec.Meta(max_length=32)]
Units = Annotated[int, msgspec.Meta(le=1_000_000)]  # units in one pack (below 1: named with the other faults)


class ProductPackIn(msgspec.Struct, forbid_unknown_fields=True):
    gtin: Short
    level: Short  # GROUP_PACK or TRANSPORT_PACK (aggregation_levels)
    units: Units


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    gtin: Short
    product_group: Short
    tnved: Short
    name_kk: Name
    name_ru: Name
    manufacturer: Name
    country: Short
    brand: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    manufacturer_bin: str | None = None
    importer_bin: str | None = None
    packs: list[ProductPackIn] = msgspec.field(default_factory=list)


class ProductPack(msgspec.Struct):
    gtin: str
    level: str
    units: int


class ProductCard(msgspec.Struct):
    gtin: str
    owner_bin: str
    product_group: str
    tnved: str
    name_kk: str
    name_ru: str
    manufacturer: str
    country: str
    brand: str | None
    manufacturer_bin: str | None
    importer_bin: str | None
    packs: list[ProductPack]
    created_at: dt.datetime
