"""Shapes of the codes endpoints."""

import msgspec


class CodeToParse(msgspec.Struct, forbid_unknown_fields=True):
    code: str  # any accepted spelling: element string with GS, scanner output, (01)… form, Digital Link
    # one of several barcodes of an item (a split GS1-128 label): the AIs the GS1 pairing rules require may be
    # in another, so only exclusions are checked
    partial: bool = False


class ElementValue(msgspec.Struct):
    ai: str
    value: str
    title: str


class ParsedCodeOut(msgspec.Struct):
    gtin: str | None
    serial: str | None
    sscc: str | None
    crypto_key_id: str | None
    crypto_signature: str | None
    identification_code: str | None
    ais: list[ElementValue]
    element_string: str
    bracketed: str
    digital_link: str | None
    marking_code: str | None
