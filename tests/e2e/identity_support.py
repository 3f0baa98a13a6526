"""Helpers for the identity end-to-end tests: a test CA, people with certificates, and signing in."""

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass

import httpx

from tanba.pki import DevelopmentCA, IssuedCertificate, demo_bin, demo_iin, sign_attached, sign_detached

PARTICIPANT_A = "011040197726"  # demo participants, ACTIVE
PARTICIPANT_B = "150240517508"
PENDING_PARTICIPANT = "080340424453"
OPERATOR_BIN = demo_bin("24014000000")
AUTHORITY_BIN = demo_bin("24014000001")


@dataclass
class Person:
    issued: IssuedCertificate
    iin: str
    bin: str | None

    def sign_attached(self, data: bytes) -> bytes:
        return sign_attached(self.issued.certificate, self.issued.private_key, data, self.issued.chain)

    def sign_detached(self, data: bytes) -> bytes:
        return sign_detached(self.issued.certificate, self.issued.private_key, data, self.issued.chain)


def person(ca: DevelopmentCA, index: int, bin_: str | None, organization: str | None = None, **kwargs) -> Person:
    iin = demo_iin(index)
    issued = ca.issue(f"ТЕСТОВ ТЕСТ {index}", iin, bin_, organization or (f"ТОО {bin_}" if bin_ else None),
                      **kwargs)
    return Person(issued, iin, bin_)


def crl_env(ca: DevelopmentCA) -> dict[str, str]:
    return {
        "TANBA_TRUST_DIR": str(ca.trust_dir),
        "TANBA_CRL_SOURCES": json.dumps([str(p) for p in ca.crl_files]),
        "TANBA_PKI_DIR": str(ca.folder),
    }


def challenge(client: httpx.Client) -> dict:
    r = client.get("/api/v1/auth/challenge")
    assert r.status_code == 200, r.text
    return r.json()


def token_request(client: httpx.Client, challenge_id: str, signature: bytes) -> httpx.Response:
    return client.post("/api/v1/auth/token",
                       json={"id": challenge_id, "signature": base64.b64encode(signature).decode()})


def login(client: httpx.Client, who: Person) -> str:
    c = challenge(client)
    r = token_request(client, c["id"], who.sign_attached(c["data"].encode()))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def envelope(who: Person, document: dict, doc_type: str = "PARTICIPANT_APPLICATION") -> dict:
    raw = json.dumps(document, ensure_ascii=False).encode()
    return {"type": doc_type, "document": base64.b64encode(raw).decode(),
            "signature": base64.b64encode(who.sign_detached(raw)).decode()}


def new_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

