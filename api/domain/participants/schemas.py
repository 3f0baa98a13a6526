"""Shapes of the participant registry endpoints."""

import datetime as dt
import uuid

import msgspec


class RegisterRecord(msgspec.Struct):
    status: str
    registration_date: dt.date
    kato: str


class ParticipantCard(msgspec.Struct):
    bin: str
    is_individual: bool
    name_kk: str | None
    name_ru: str
    types: list[str]
    state: str
    kato: str
    registered_at: dt.datetime
    business_register: RegisterRecord | None


class SignedEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    """The wire form of every signed document: base64 JSON bytes and a detached CMS signature over them."""

    type: str
    document: str
    signature: str


class ApplicationStatus(msgspec.Struct):
    id: uuid.UUID
    bin: str
    status: str
    requested_types: list[str]
    approved_types: list[str] | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None


class ApplicationDecision(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    types: list[str] | None = None
    reason: str | None = None
