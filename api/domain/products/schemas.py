"""Shapes of the product catalogue endpoints."""

import datetime as dt

import msgspec


class ProductPackIn(msgspec.Struct, forbid_unknown_fields=True):
    gtin: str
    level: str  # GROUP_PACK or TRANSPORT_PACK (aggregation_levels)
    units: int


class ProductIn(msgspec.Struct, forbid_unknown_fields=True):
    gtin: str
    product_group: str
    tnved: str
    name_kk: str
    name_ru: str
    manufacturer: str
    country: str
    brand: str | None = None
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
