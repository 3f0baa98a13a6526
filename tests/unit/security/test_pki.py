"""The development PKI: the CA folder, certificate profiles shaped like the NCA's, CRLs, PKCS#12 key
files and client-side CMS signing."""

import stat
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from api.security.signatures import CmsSignatureVerifier
from tanba.pki import (
    DevelopmentCA,
    IssuedCertificate,
    KeyAlgorithm,
    Pkcs12PasswordError,
    PrivateKey,
    load_pkcs12,
    self_signed,
    sign_attached,
    sign_detached,
    to_pkcs12,
)
from tests.unit.security.helpers import BIN, COMMON_NAME, IIN, ORGANIZATION, login


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


E = TypeVar("E", bound=x509.ExtensionType)


def extension(certificate: x509.Certificate, kind: type[E]) -> x509.Extension[E]:
    return certificate.extensions.get_extension_for_class(kind)


def ca_public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return key


def test_create_is_idempotent_and_keeps_secrets_private(make_ca: Callable[..., DevelopmentCA]) -> None:
    ca = make_ca()
    again = DevelopmentCA.create(ca.folder)
    loaded = DevelopmentCA.load(ca.folder)
    assert again.root_certificate == ca.root_certificate == loaded.root_certificate
    assert loaded.certificate == ca.certificate
    private = ca.folder / "private"
    assert mode(private) == 0o700
    for name in ("ca-password", "root.key.pem", "nca.key.pem"):
        assert mode(private / name) == 0o600, name
    with pytest.raises(TypeError):  # the CA keys are encrypted
        load_pem_private_key((private / "nca.key.pem").read_bytes(), None)
    assert sorted(p.name for p in ca.trust_dir.iterdir()) == ["nca.crt", "root.crt"]
    assert all(path.is_file() for path in ca.crl_files)


def test_an_unfinished_folder_is_created_again_and_an_empty_one_cannot_be_loaded(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no development CA"):
        DevelopmentCA.load(tmp_path / "nothing")
    (tmp_path / "half" / "trust").mkdir(parents=True)
    assert DevelopmentCA.create(tmp_path / "half", key=KeyAlgorithm.EC).certificate.subject.get_attributes_for_oid(
        NameOID.COMMON_NAME)[0].value == "Tanba Development NCA"


def test_the_ca_certificates_are_shaped_like_the_ncas(ca: DevelopmentCA) -> None:
    root, issuing = ca.root_certificate, ca.certificate
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    issuing.verify_directly_issued_by(root)
    for certificate, path_length in ((root, None), (issuing, 0)):
        constraints = extension(certificate, x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca and constraints.value.path_length == path_length
        usage = extension(certificate, x509.KeyUsage)
        assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
        assert not usage.value.digital_signature
    assert extension(issuing, x509.AuthorityKeyIdentifier).value.key_identifier == \
        extension(root, x509.SubjectKeyIdentifier).value.digest
    root_key = root.public_key()
    assert isinstance(root_key, rsa.RSAPublicKey) and root_key.key_size == 2048


def test_a_participant_certificate_is_shaped_like_the_ncas(make_ca: Callable[..., DevelopmentCA]) -> None:
    ca = DevelopmentCA.create(make_ca().folder.parent / "http", key=KeyAlgorithm.EC,
                              crl_url="http://crl.tanba.test/nca.crl")
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, surname="АХМЕТОВ", given_name="АЙДАР",
                      key=KeyAlgorithm.EC, non_repudiation=True, email_protection=True, days=30)
    certificate = person.certificate
    values = {attribute.oid: attribute.value for attribute in certificate.subject}
    assert values == {
        NameOID.COUNTRY_NAME: "KZ", NameOID.COMMON_NAME: COMMON_NAME, NameOID.SURNAME: "АХМЕТОВ",
        NameOID.GIVEN_NAME: "АЙДАР", NameOID.SERIAL_NUMBER: f"IIN{IIN}", NameOID.ORGANIZATION_NAME: ORGANIZATION,
        NameOID.ORGANIZATIONAL_UNIT_NAME: f"BIN{BIN}",
    }
    assert certificate.issuer == ca.certificate.subject
    usage = extension(certificate, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_encipherment
    assert list(extension(certificate, x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]
    assert not extension(certificate, x509.BasicConstraints).value.ca
    assert extension(certificate, x509.AuthorityKeyIdentifier).value.key_identifier == \
        extension(ca.certificate, x509.SubjectKeyIdentifier).value.digest
    assert extension(certificate, x509.SubjectKeyIdentifier).value == \
        x509.SubjectKeyIdentifier.from_public_key(certificate.public_key())
    points = extension(certificate, x509.CRLDistributionPoints).value
    assert [name.value for point in points for name in point.full_name] == ["http://crl.tanba.test/nca.crl"]
    assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days == 30
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name == "secp256r1"
    person_only = ca.issue("НУРЛАНОВ ЕРЛАН", IIN, key=KeyAlgorithm.EC)
    assert person_only.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME) == []
    assert list(extension(person_only.certificate, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_a_self_signed_certificate_is_its_own_issuer(ec_key: PrivateKey) -> None:
    impostor = self_signed(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    assert impostor.certificate.issuer == impostor.certificate.subject
    impostor.certificate.verify_directly_issued_by(impostor.certificate)
    assert impostor.chain == ()


def test_revocations_go_on_the_right_crl(make_ca: Callable[..., DevelopmentCA], ec_key: PrivateKey) -> None:
    ca = make_ca()
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    assert ca.revoke(person.certificate.serial_number, x509.ReasonFlags.key_compromise)
    assert not ca.revoke(person.certificate.serial_number)  # already revoked
    ca.revoke(ca.certificate.serial_number, x509.ReasonFlags.ca_compromise)
    first = x509.load_der_x509_crl(ca.crl())
    second = x509.load_der_x509_crl(ca.crl_path.read_bytes())
    root_crl = x509.load_der_x509_crl(ca.root_crl_path.read_bytes())
    assert first.is_signature_valid(ca_public_key(ca.certificate))
    assert root_crl.is_signature_valid(ca_public_key(ca.root_certificate))
    entry = first.get_revoked_certificate_by_serial_number(person.certificate.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    assert [e.serial_number for e in root_crl] == [ca.certificate.serial_number]
    assert second.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == \
        first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert DevelopmentCA.load(ca.folder).issued_serials() == {person.certificate.serial_number}


def test_pkcs12_round_trip(rsa_person: IssuedCertificate, verifier: CmsSignatureVerifier) -> None:
    key_file = to_pkcs12(rsa_person.certificate, rsa_person.private_key, rsa_person.chain, "Сезам, откройся!")
    loaded = load_pkcs12(key_file, "Сезам, откройся!")
    assert loaded.certificate == rsa_person.certificate
    assert loaded.chain == rsa_person.chain
    assert loaded.private_key.private_numbers() == rsa_person.private_key.private_numbers()
    signature = sign_attached(loaded.certificate, loaded.private_key, b"challenge", loaded.chain)
    assert login(verifier, signature, b"challenge").iin == IIN
    with pytest.raises(Pkcs12PasswordError, match="wrong password"):
        load_pkcs12(key_file, "сезам")
    with pytest.raises(Pkcs12PasswordError):
        load_pkcs12(key_file[:-10], "Сезам, откройся!")
    with pytest.raises(ValueError, match="password"):
        to_pkcs12(rsa_person.certificate, rsa_person.private_key, (), "")


def test_signing_keeps_the_bytes_and_always_carries_the_signer(ec_person: IssuedCertificate) -> None:
    data = b"line one\nline two\n"
    attached = cms.ContentInfo.load(sign_attached(ec_person.certificate, ec_person.private_key, data))["content"]
    assert attached["encap_content_info"]["content"].native == data  # Binary: LF not turned into CRLF
    assert len(attached["certificates"]) == 1
    detached = cms.ContentInfo.load(
        sign_detached(ec_person.certificate, ec_person.private_key, data, ec_person.chain))["content"]
    assert detached["encap_content_info"]["content"].native is None
    assert len(detached["certificates"]) == 3
