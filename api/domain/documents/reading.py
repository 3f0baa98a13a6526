"""Format-logical control of signed documents (requirement 17): each type's JSON is read into one shape, or
refused with every fault named (field, index, rule). Pure: the API runs it on receipt (422 at once) and the
worker runs it again on the stored bytes before the logic (ownership, statuses, aggregation rules).

Codes may be written in any accepted spelling (element string, brackets, Digital Link); a document acts on
identification codes, so crypto tails are neither needed nor kept.
"""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from api.domain.codes import gs1
from api.domain.identity.services import document_id, signed_json, unknown_fields
from api.faults import Fault, InvalidInput

MAX_CODES = 10_000  # codes per document; measured in the README (documents benchmark)
MAX_CODE_TEXT = 2_048


@dataclass(frozen=True)
class Code:
    """A code named in a document: a unit (GTIN + serial) or a transport pack (SSCC)."""

    key: str  # the identification code: 01…21… or 00 + SSCC
    gtin: str | None = None
    serial: str | None = None
    sscc: str | None = None
    key_id: str | None = field(default=None, compare=False)  # a crypto tail, when the code was sent with one
    tail: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Application:
    """APPLICATION: the codes were printed on units (EMITTED → APPLIED)."""

    id: uuid.UUID
    codes: list[Code]


@dataclass(frozen=True)
class Aggregation:
    """AGGREGATION: the children are packed into ``parent``: a transport pack (SSCC; units, group packs or other
    transport packs) or a group pack (the code of a group pack GTIN, КИГУ; units of its product)."""

    id: uuid.UUID
    parent: Code
    children: list[Code]


@dataclass(frozen=True)
class Disaggregation:
    """DISAGGREGATION: the pack ``parent`` is opened, whole (no children named) or partly."""

    id: uuid.UUID
    parent: Code
    children: list[Code] | None


@dataclass(frozen=True)
class Reaggregation:
    """REAGGREGATION: codes are taken out of the pack ``parent`` and others put in, in one step."""

    id: uuid.UUID
    parent: Code
    add: list[Code]
    remove: list[Code]


Document = Application | Aggregation | Disaggregation | Reaggregation
# Every document names its own type inside the signed bytes: the envelope's type is not signed, and an
# AGGREGATION and a DISAGGREGATION have the same shape, so one could otherwise be replayed as the other.
FIELDS = {
    "APPLICATION": frozenset({"type", "id", "codes"}),
    "AGGREGATION": frozenset({"type", "id", "parent", "children"}),
    "DISAGGREGATION": frozenset({"type", "id", "parent", "children"}),
    "REAGGREGATION": frozenset({"type", "id", "parent", "add", "remove"}),
}
DOCUMENT_TYPES = tuple(FIELDS)


def _code(value: Any, path: str, index: int | None, faults: list[Fault], kinds: tuple[str, ...]) -> Code | None:
    """One code of the kinds allowed here ("unit", "sscc"), or a fault naming the field and the rule."""
    if not isinstance(value, str) or not value.strip():
        faults.append(Fault("document.code_text", path, index, params={"field": path.removeprefix("document.")}))
        return None
    if len(value) > MAX_CODE_TEXT:
        faults.append(Fault("gs1.code_too_long", path, index, params={"limit": MAX_CODE_TEXT, "length": len(value)}))
        return None
    try:
        parsed = gs1.parse(value)
    except InvalidInput as exc:
        faults.extend(Fault(f.code, path, index, f.params) for f in exc.faults)
        return None
    if parsed.sscc is not None and "sscc" in kinds:
        if parsed.crypto_key_id is not None or parsed.crypto_signature is not None:  # none is ever issued
            faults.append(Fault("code.tail_mismatch", path, index, params={"code": "00" + parsed.sscc}))
            return None
        return Code(key="00" + parsed.sscc, sscc=parsed.sscc)
    if parsed.gtin is not None and parsed.serial is not None and parsed.sscc is None and "unit" in kinds:
        return Code(key=f"01{parsed.gtin}21{parsed.serial}", gtin=parsed.gtin, serial=parsed.serial,
                    key_id=parsed.crypto_key_id, tail=parsed.crypto_signature)
    faults.append(Fault("document.code_kind", path, index, params={"expected": "+".join(kinds)}))
    return None


def _codes(body: dict[str, Any], name: str, faults: list[Fault], kinds: tuple[str, ...], required: bool = True,
           parent_key: str | None = None, added: frozenset[str] = frozenset(),
           self_is: str = "cycle") -> list[Code] | None:
    """The list of codes in field ``name``; each fault names its index in the list as sent. ``parent_key``: the
    pack the codes go into or come out of (it cannot be among them); ``added``: codes a REAGGREGATION adds
    (they cannot also be removed)."""
    values = body.get(name)
    path = f"document.{name}"
    if values is None and not required:
        return None
    if not isinstance(values, list) or not values:
        faults.append(Fault("document.codes_list", path, params={"field": name, "max": MAX_CODES}))
        return None
    if len(values) > MAX_CODES:
        faults.append(Fault("document.too_many_codes", path, params={"count": len(values), "max": MAX_CODES}))
        return None
    codes: list[Code] = []
    first: dict[str, int] = {}
    for index, value in enumerate(values):
        code = _code(value, path, index, faults, kinds)
        if code is None:
            continue
        if code.key in first:
            faults.append(Fault("document.duplicate_code", path, index,
                                params={"code": code.key, "first": first[code.key]}))
            continue
        first[code.key] = index
        if code.key == parent_key:  # into itself: a cycle; out of itself: it never was its own child
            faults.append(Fault("aggregation.cycle" if self_is == "cycle" else "disaggregation.not_a_child", path,
                                index, params={"code": code.key, "parent": parent_key}))
        elif code.key in added:
            faults.append(Fault("reaggregation.add_and_remove", path, index, params={"code": code.key}))
        else:
            codes.append(code)
    return codes


def read_document(document_type: str, document: bytes) -> Document:
    """The document of ``document_type`` in ``document`` (the signed bytes), or InvalidInput with every fault."""
    if document_type not in FIELDS:
        raise InvalidInput(Fault("document.type_not_accepted", "type",
                                 params={"value": document_type[:40], "accepted": ", ".join(DOCUMENT_TYPES)}))
    body = signed_json(document)
    faults = unknown_fields(body, FIELDS[document_type])
    if body.get("type") != document_type:
        signed = body.get("type")
        faults.append(Fault("document.type_mismatch", "document.type",
                            params={"signed": signed[:40] if isinstance(signed, str) else "—",
                                    "envelope": document_type}))
    doc_id = document_id(body, faults)
    result: Document | None = None
    if document_type == "APPLICATION":
        codes = _codes(body, "codes", faults, ("unit",))
        if doc_id and codes is not None:
            result = Application(doc_id, codes)
    else:
        parent = _code(body.get("parent"), "document.parent", None, faults, ("sscc", "unit"))
        parent_key = parent.key if parent else None
        if document_type == "REAGGREGATION":
            result = _reaggregation(body, doc_id, parent, faults)
        else:
            children = _codes(body, "children", faults, ("unit", "sscc"), required=document_type == "AGGREGATION",
                              parent_key=parent_key,
                              self_is="cycle" if document_type == "AGGREGATION" else "not_a_child")
            if doc_id and parent is not None:
                if document_type == "AGGREGATION" and children is not None:
                    result = Aggregation(doc_id, parent, children)
                elif document_type == "DISAGGREGATION":
                    result = Disaggregation(doc_id, parent, children)
    if faults or result is None:
        raise InvalidInput(*faults)
    return result


def _reaggregation(body: dict[str, Any], doc_id: uuid.UUID | None, parent: Code | None,
                   faults: list[Fault]) -> Reaggregation | None:
    parent_key = parent.key if parent else None
    add = _codes(body, "add", faults, ("unit", "sscc"), required=False, parent_key=parent_key)
    remove = _codes(body, "remove", faults, ("unit", "sscc"), required=False, parent_key=parent_key,
                    added=frozenset(c.key for c in add or []), self_is="not_a_child")
    if body.get("add") is None and body.get("remove") is None:
        faults.append(Fault("reaggregation.nothing", "document"))
    total = len(add or []) + len(remove or [])
    if total > MAX_CODES:
        faults.append(Fault("document.too_many_codes", "document", params={"count": total, "max": MAX_CODES}))
    if doc_id and parent is not None and (add is not None or remove is not None):
        return Reaggregation(doc_id, parent, add or [], remove or [])
    return None


def named_codes(document: Document) -> Iterator[tuple[str, int | None, Code]]:
    """Every code a document names, with its path and index as sent."""
    lists: list[tuple[str, list[Code] | None]] = []
    if isinstance(document, Application):
        lists.append(("document.codes", document.codes))
    else:
        yield "document.parent", None, document.parent
        if isinstance(document, Reaggregation):
            lists += [("document.add", document.add), ("document.remove", document.remove)]
        else:
            lists.append(("document.children", document.children))
    for path, codes in lists:
        for index, code in enumerate(codes or []):
            yield path, index, code
