"""Shapes of the authentication endpoints (fixed by the public interface, API.md)."""

import datetime as dt
import uuid

import msgspec


class Challenge(msgspec.Struct):
    id: uuid.UUID
    data: str
    expires_at: dt.datetime


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    signature: str  # base64 of a CMS SignedData that contains the challenge data (attached)


class SignedInParticipant(msgspec.Struct):
    bin: str
    name: str
    roles: list[str]
    iin: str | None = None


class Token(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    participant: SignedInParticipant


class SessionsRevoked(msgspec.Struct):
    bin: str
    revoked: int
