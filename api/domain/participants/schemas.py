"""Shapes of the participant registry endpoints."""

import datetime as dt

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
