"""Emission keys (requirement 2): Ed25519 keys that sign the identification code of every marking code.

Envelope encryption: each private key is encrypted with its own random data key (AES-256-GCM), and the
data key is wrapped with the master key from the environment (``TANBA_MASTER_KEY``, 32 bytes base64).
The database never holds a usable private key; neither does a log line.
"""

import base64
import datetime as dt
import hashlib
import os
import secrets
import string
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from warehouse.models import EmissionKey

KEY_ID_ALPHABET = string.ascii_uppercase + string.digits  # a subset of GS1 character set 82
ALGORITHM = "Ed25519"


class EmissionKeyError(RuntimeError):
    """The master key is missing or wrong, or a key cannot be used; the message says which."""


@dataclass(frozen=True)
class MasterKey:
    key: bytes

    def __repr__(self) -> str:  # never print the key
        return f"MasterKey(id={self.key_id})"

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"tanba-master-key" + self.key).hexdigest()[:16]

    @classmethod
    def from_base64(cls, value: str) -> "MasterKey":
        try:
            key = base64.b64decode(value.strip(), validate=True)
        except ValueError:
            raise EmissionKeyError("TANBA_MASTER_KEY is not base64") from None
        if len(key) != 32:
            raise EmissionKeyError(f"TANBA_MASTER_KEY must be 32 bytes (base64 of them), not {len(key)}")
        return cls(key)

    @classmethod
    def load(cls, configured: str | None, development_file: Path | None) -> "MasterKey":
        """The configured key; on a development installation (embedded database) a generated key file."""
        if configured:
            return cls.from_base64(configured)
        if development_file is None:
            raise EmissionKeyError("TANBA_MASTER_KEY is required (32 random bytes, base64) when a database URL is set")
        if not development_file.exists():
            development_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(development_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(secrets.token_bytes(32)).decode() + "\n")
        return cls.from_base64(development_file.read_text())

    def wrap(self, data_key: bytes, key_id: str) -> bytes:
        nonce = secrets.token_bytes(12)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, b"tanba-data-key:" + key_id.encode())

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:12], wrapped[12:], b"tanba-data-key:" + key_id.encode())
        except Exception:
            raise EmissionKeyError(f"emission key {key_id} cannot be unwrapped: wrong master key?") from None


def new_key_id(taken: set[str]) -> str:
    while True:
        key_id = "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(4))
        if key_id not in taken:
            return key_id


def create_emission_key(
    master: MasterKey, taken: set[str], valid_from: dt.datetime, valid_to: dt.datetime | None
) -> EmissionKey:
    key_id = new_key_id(taken)
    private = Ed25519PrivateKey.generate()
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = secrets.token_bytes(12)
    encrypted = nonce + AESGCM(data_key).encrypt(nonce, private.private_bytes_raw(), key_id.encode())
    return EmissionKey(
        key_id=key_id, algorithm=ALGORITHM, public_key=private.public_key().public_bytes_raw(),
        wrapped_data_key=master.wrap(data_key, key_id), encrypted_private_key=encrypted,
        master_key_id=master.key_id, valid_from=valid_from, valid_to=valid_to,
    )


def signing_key(master: MasterKey, row: EmissionKey) -> Ed25519PrivateKey:
    """The usable private key of ``row`` (keep it in memory only)."""
    data_key = master.unwrap(row.wrapped_data_key, row.key_id)
    blob = row.encrypted_private_key
    try:
        raw = AESGCM(data_key).decrypt(blob[:12], blob[12:], row.key_id.encode())
    except Exception:
        raise EmissionKeyError(f"emission key {row.key_id} is damaged") from None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if private.public_key().public_bytes_raw() != row.public_key:
        raise EmissionKeyError(f"emission key {row.key_id} does not match its public key")
    return private
