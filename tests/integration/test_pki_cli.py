"""The ``tanba pki`` commands end to end: a CA folder, key files an operator hands out, revocation that
the verifier honours, and the demo participants' key files."""

import argparse
import asyncio
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509

from api.domain.participants.rules import TaxpayerNumber, parse_bin
from api.security.signatures import CmsSignatureVerifier, Purpose, SignatureRefused
from api.security.trust import TrustStore
from tanba.pki import DevelopmentCA, add_pki_commands, load_pkcs12, sign_attached
from tanba.settings import Settings

IIN = "850512300129"
BIN = "080340424453"


@pytest.fixture
def pki_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", pki_dir=None)


def run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="tanba")
    add_pki_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return int(args.func(settings, args))


def verify_login(settings: Settings, key_file: Path, password: str) -> str:
    """Sign a challenge with the key file and verify it as the API would; the refusal code or 'accepted'."""
    person = load_pkcs12(key_file.read_bytes(), password)
    signature = sign_attached(person.certificate, person.private_key, b"challenge", person.chain)
    ca_dir = settings.var_dir / "pki"
    verifier = CmsSignatureVerifier(TrustStore(ca_dir / "trust", [ca_dir / "crl" / "root.crl",
                                                                   ca_dir / "crl" / "nca.crl"]))
    try:
        asyncio.run(verifier.verify_attached(signature, b"challenge", Purpose.LOGIN))
    except SignatureRefused as refused:
        return refused.code
    return "accepted"


def test_init_issue_revoke_crl(pki_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(pki_settings, "pki", "init") == 0
    assert "created in" in capsys.readouterr().out
    assert run(pki_settings, "pki", "init") == 0
    assert "already in" in capsys.readouterr().out

    key_file = tmp_path / "person.p12"
    assert run(pki_settings, "pki", "issue", "--iin", IIN, "--bin", BIN, "--cn", "АХМЕТОВ АЙДАР",
               "--org", "ТОО «Алматы Обувь»", "--key", "ec", "--password", "s3cret", "--out", str(key_file),
               "--days", "10") == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    person = load_pkcs12(key_file.read_bytes(), "s3cret")
    assert person.certificate.subject.get_attributes_for_oid(x509.oid.NameOID.SERIAL_NUMBER)[0].value == f"IIN{IIN}"
    assert verify_login(pki_settings, key_file, "s3cret") == "accepted"

    generated = tmp_path / "generated.p12"
    assert run(pki_settings, "pki", "issue", "--iin", IIN, "--cn", "НУРЛАНОВ ЕРЛАН", "--out", str(generated)) == 0
    password_file = generated.with_suffix(".password")
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert verify_login(pki_settings, generated, password_file.read_text()) == "accepted"

    serial = format(person.certificate.serial_number, "x")
    assert run(pki_settings, "pki", "revoke", serial, "--reason", "keyCompromise") == 0
    assert verify_login(pki_settings, key_file, "s3cret") == "signature.revoked"
    assert verify_login(pki_settings, generated, password_file.read_text()) == "accepted"

    assert run(pki_settings, "pki", "revoke", "abc123") == 2  # not issued here
    assert run(pki_settings, "pki", "revoke", "not-hex") == 2
    assert run(pki_settings, "pki", "issue", "--iin", "123", "--cn", "X", "--out", str(tmp_path / "x.p12")) == 2

    assert run(pki_settings, "pki", "crl", "--days", "3") == 0
    crl = x509.load_der_x509_crl((pki_settings.var_dir / "pki" / "crl" / "nca.crl").read_bytes())
    assert crl.next_update_utc is not None and crl.last_update_utc is not None
    assert 2.9 < (crl.next_update_utc - crl.last_update_utc).total_seconds() / 86400 < 3.1
    assert crl.get_revoked_certificate_by_serial_number(person.certificate.serial_number) is not None


def test_a_folder_of_choice(pki_settings: Settings, tmp_path: Path) -> None:
    assert run(pki_settings, "pki", "init", "--dir", str(tmp_path / "elsewhere"), "--key", "ec",
               "--crl-url", "http://crl.tanba.test/nca.crl") == 0
    ca = DevelopmentCA.load(tmp_path / "elsewhere")
    assert ca.crl_url == "http://crl.tanba.test/nca.crl"
    assert not (pki_settings.var_dir / "pki").exists()


def test_demo_key_files(pki_settings: Settings) -> None:
    assert run(pki_settings, "pki", "demo",
               "--participants-file", str(pki_settings.demo_data_dir / "participants.json"),
               "--register", str(pki_settings.demo_data_dir / "business_register.csv")) == 0
    out = pki_settings.var_dir / "pki" / "demo"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    participants = json.loads((pki_settings.demo_data_dir / "participants.json").read_text())["participants"]
    assert [e["bin"] for e in manifest if e["role"] == "participant"] == [p["bin"] for p in participants]
    assert [e["role"] for e in manifest].count("operator") == 1
    assert {e["key"] for e in manifest} == {"rsa", "ec"}
    for entry in manifest:
        iin, bin_ = parse_bin(entry["iin"]), parse_bin(entry["bin"])
        assert isinstance(iin, TaxpayerNumber) and iin.is_individual, entry  # valid check digits
        assert isinstance(bin_, TaxpayerNumber), entry
        for name in (entry["key_file"], entry["password_file"]):
            assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert len({e["iin"] for e in manifest}) == len(manifest)
    names = {e["organization"] for e in manifest}
    assert "ТОО «Алматы Обувь»" in names

    rsa_entry = next(e for e in manifest if e["key"] == "rsa")
    ec_entry = next(e for e in manifest if e["key"] == "ec" and e["role"] == "participant")
    for entry in (rsa_entry, ec_entry):
        password = (out / entry["password_file"]).read_text()
        assert verify_login(pki_settings, out / entry["key_file"], password) == "accepted"

    assert run(pki_settings, "pki", "demo") == 0  # again, with the default files: nothing is reissued
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
