"""Emission keys: envelope encryption under the master key, signatures that verify, nothing leaks."""

import base64
import datetime as dt

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from api.domain.codes.keys import EmissionKeyError, MasterKey, create_emission_key, signing_key

NOW = dt.datetime.now(dt.UTC)


def master(seed: int = 1) -> MasterKey:
    return MasterKey(bytes([seed]) * 32)


def test_key_round_trip_and_signature_verifies_with_the_published_key():
    row = create_emission_key(master(), set(), NOW, None)
    assert len(row.key_id) == 4 and row.key_id.isalnum()
    private = signing_key(master(), row)
    code = b"0104600000000016" + b"21" + b"ABCDEFGHIJKLM"
    signature = private.sign(code)
    Ed25519PublicKey.from_public_bytes(row.public_key).verify(signature, code)
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(row.public_key).verify(signature, code + b"X")
    assert len(base64.b64encode(signature)) == 88  # the length AI 92 carries


def test_stored_fields_hold_no_usable_private_key():
    row = create_emission_key(master(), set(), NOW, None)
    raw = signing_key(master(), row).private_bytes_raw()
    assert raw not in row.encrypted_private_key and raw not in row.wrapped_data_key
    assert "MasterKey(id=" in repr(master()) and "\\x01" not in repr(master())


def test_wrong_master_key_is_refused_clearly():
    row = create_emission_key(master(1), set(), NOW, None)
    with pytest.raises(EmissionKeyError, match="wrong master key"):
        signing_key(master(2), row)


def test_a_swapped_key_id_breaks_the_envelope():
    row = create_emission_key(master(), set(), NOW, None)
    row.key_id = "ZZZZ" if row.key_id != "ZZZZ" else "YYYY"
    with pytest.raises(EmissionKeyError):
        signing_key(master(), row)


def test_key_ids_never_repeat():
    taken: set[str] = set()
    for _ in range(200):
        taken.add(create_emission_key(master(), taken, NOW, None).key_id)
    assert len(taken) == 200


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_bad_master_key_values(value):
    with pytest.raises(EmissionKeyError, match="TANBA_MASTER_KEY"):
        MasterKey.from_base64(value)


def test_production_needs_a_configured_master_key(tmp_path):
    with pytest.raises(EmissionKeyError, match="required"):
        MasterKey.load(None, None)
    first = MasterKey.load(None, tmp_path / "master.key")
    assert MasterKey.load(None, tmp_path / "master.key") == first  # generated once, then kept
    assert oct((tmp_path / "master.key").stat().st_mode)[-3:] == "600"
