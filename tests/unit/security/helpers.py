"""Helpers of the security tests: the test person's identity, and synchronous calls of the verifier."""

import asyncio
import datetime as dt

from api.security.signatures import CmsSignatureVerifier, Purpose, SignerIdentity

IIN = "850512300129"  # valid check digit
BIN = "080340424453"  # a BIN of the demo business register
ORGANIZATION = "ТОО «Алматы Обувь»"
COMMON_NAME = "АХМЕТОВ АЙДАР"


def login(verifier: CmsSignatureVerifier, signature: bytes, challenge: bytes) -> SignerIdentity:
    return asyncio.run(verifier.verify_attached(signature, challenge, Purpose.LOGIN))


def document(verifier: CmsSignatureVerifier, signature: bytes, content: bytes,
             purpose: Purpose = Purpose.DOCUMENT) -> SignerIdentity:
    return asyncio.run(verifier.verify_detached(signature, content, purpose))


def ago(**kwargs: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(**kwargs)


def ahead(**kwargs: float) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(**kwargs)
