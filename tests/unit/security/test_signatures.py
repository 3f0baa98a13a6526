"""The signature verifier against a real test PKI: valid logins and documents pass with the right
identity; every kind of bad signature is refused with its own reason code."""

import datetime as dt
import hashlib
import logging
from collections.abc import Callable

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.security.signatures import CmsSignatureVerifier, Purpose, SignatureRefused, SignerIdentity
from api.security.trust import TrustStore
from tanba.pki import (
    EMAIL_PROTECTION,
    DevelopmentCA,
    IssuedCertificate,
    PrivateKey,
    self_signed,
    sign_attached,
    sign_detached,
)
from tests.unit.security.helpers import BIN, COMMON_NAME, IIN, ORGANIZATION, ago, ahead, document, login

CHALLENGE = b"tanba-login:3q2-7w\n"  # a trailing LF must survive signing (Binary)
DOCUMENT = b'{"type": "participant_application", "bin": "080340424453"}\n'


def refusal(call: Callable[[], object]) -> SignatureRefused:
    with pytest.raises(SignatureRefused) as caught:
        call()
    return caught.value


def signed_login(person: IssuedCertificate, challenge: bytes = CHALLENGE) -> bytes:
    return sign_attached(person.certificate, person.private_key, challenge, person.chain)


def assert_login_refused(verifier: CmsSignatureVerifier, person: IssuedCertificate, code: str) -> SignatureRefused:
    refused = refusal(lambda: login(verifier, signed_login(person), CHALLENGE))
    assert refused.code == code, refused.params
    return refused


# --- accepted ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("person_fixture", "key_algorithm"), [("rsa_person", "RSA-2048"), ("ec_person", "ECDSA-P256")])
def test_a_valid_login_yields_the_signer_identity(
    request: pytest.FixtureRequest, verifier: CmsSignatureVerifier, ca: DevelopmentCA, person_fixture: str,
    key_algorithm: str,
) -> None:
    person: IssuedCertificate = request.getfixturevalue(person_fixture)
    identity = login(verifier, signed_login(person), CHALLENGE)
    certificate = person.certificate
    assert identity == SignerIdentity(
        iin=IIN, bin=BIN, common_name=COMMON_NAME, organization=ORGANIZATION,
        certificate_serial=format(certificate.serial_number, "x"),
        certificate_sha256=hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest(),
        issuer=ca.certificate.subject.rfc4514_string(), not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc, key_algorithm=key_algorithm,
    )
    assert "Tanba Development NCA" in identity.issuer


def test_a_person_without_an_organisation_has_no_bin(
    verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey,
) -> None:
    person = ca.issue("САПАРОВА САУЛЕ", IIN, private_key=ec_key)
    identity = login(verifier, signed_login(person), CHALLENGE)
    assert (identity.iin, identity.bin, identity.organization) == (IIN, None, None)


def test_the_chain_may_be_left_out_of_the_signature(
    verifier: CmsSignatureVerifier, ec_person: IssuedCertificate,
) -> None:
    """The issuing CA comes from the trust directory when the signer sends only its own certificate."""
    signature = sign_attached(ec_person.certificate, ec_person.private_key, CHALLENGE)
    assert login(verifier, signature, CHALLENGE).iin == IIN


@pytest.mark.parametrize("person_fixture", ["rsa_person", "ec_person"])
def test_a_detached_document_signature_verifies(
    request: pytest.FixtureRequest, verifier: CmsSignatureVerifier, person_fixture: str,
) -> None:
    person: IssuedCertificate = request.getfixturevalue(person_fixture)
    signature = sign_detached(person.certificate, person.private_key, DOCUMENT, person.chain)
    assert document(verifier, signature, DOCUMENT).bin == BIN
    assert document(verifier, signature, DOCUMENT, Purpose.LOGIN).iin == IIN  # the certificate has clientAuth


# --- refused: the certificate ------------------------------------------------------------------------------
def test_a_self_signed_certificate_with_a_real_bin_is_untrusted(
    verifier: CmsSignatureVerifier, rsa_key: PrivateKey,
) -> None:
    impostor = self_signed(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=rsa_key)
    assert_login_refused(verifier, impostor, "signature.untrusted")


def test_a_certificate_of_an_unknown_ca_is_untrusted(
    verifier: CmsSignatureVerifier, unknown_ca: DevelopmentCA, ec_key: PrivateKey,
) -> None:
    stranger = unknown_ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    assert_login_refused(verifier, stranger, "signature.untrusted")


def test_an_expired_certificate_is_refused(
    verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey,
) -> None:
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key,
                      not_before=ago(days=30), not_after=ago(minutes=1))
    refused = assert_login_refused(verifier, person, "signature.expired")
    assert refused.params["subject"].endswith(COMMON_NAME)


def test_a_certificate_not_yet_valid_is_refused(
    verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey,
) -> None:
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key,
                      not_before=ahead(hours=1), not_after=ahead(days=30))
    assert_login_refused(verifier, person, "signature.not_yet_valid")
    signature = sign_detached(person.certificate, person.private_key, DOCUMENT, person.chain)
    assert refusal(lambda: document(verifier, signature, DOCUMENT)).code == "signature.not_yet_valid"


def test_a_revoked_certificate_is_refused_once_the_crl_says_so(
    verifier: CmsSignatureVerifier, store: TrustStore, ca: DevelopmentCA, rsa_key: PrivateKey,
) -> None:
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=rsa_key)
    assert login(verifier, signed_login(person), CHALLENGE).iin == IIN
    ca.revoke(person.certificate.serial_number, x509.ReasonFlags.key_compromise)
    ca.crl()
    assert login(verifier, signed_login(person), CHALLENGE).iin == IIN  # the store has the old CRL until reload
    store.reload()
    refused = assert_login_refused(verifier, person, "signature.revoked")
    assert refused.params["reason"] == "keyCompromise"
    assert refused.params["serial"] == format(person.certificate.serial_number, "x")


def test_a_revoked_issuing_ca_refuses_its_certificates(
    make_ca: Callable[..., DevelopmentCA], ec_key: PrivateKey,
) -> None:
    other = make_ca()
    person = other.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    other.revoke(other.certificate.serial_number, x509.ReasonFlags.ca_compromise)
    other.crl()
    refused = assert_login_refused(CmsSignatureVerifier(TrustStore(other.trust_dir, other.crl_files)), person,
                                   "signature.revoked")
    assert "Tanba Development NCA" in refused.params["subject"]


@pytest.mark.parametrize("purpose", [Purpose.LOGIN, Purpose.DOCUMENT])
def test_a_certificate_without_digital_signature_is_refused(
    verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey, purpose: Purpose,
) -> None:
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key, key_usage={"key_encipherment"})
    signature = sign_detached(person.certificate, person.private_key, DOCUMENT, person.chain)
    assert refusal(lambda: document(verifier, signature, DOCUMENT, purpose)).code == "signature.key_usage"


def test_a_login_needs_client_authentication_but_a_document_does_not(
    verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey,
) -> None:
    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key, extended_key_usage=[EMAIL_PROTECTION])
    assert_login_refused(verifier, person, "signature.key_usage")
    signature = sign_detached(person.certificate, person.private_key, DOCUMENT, person.chain)
    assert document(verifier, signature, DOCUMENT).iin == IIN
    no_eku = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key, extended_key_usage=[])
    assert_login_refused(verifier, no_eku, "signature.key_usage")


@pytest.mark.parametrize("signer", ["issuing", "root"])
def test_a_ca_key_cannot_sign_a_login(verifier: CmsSignatureVerifier, ca: DevelopmentCA, signer: str) -> None:
    """A trust root as signer is where pyHanko skips key usage: the verifier checks it again."""
    certificate, key = (ca.certificate, ca.key) if signer == "issuing" else (ca.root_certificate, ca.root_key)
    signature = sign_attached(certificate, key, CHALLENGE, [ca.root_certificate])
    assert refusal(lambda: login(verifier, signature, CHALLENGE)).code == "signature.key_usage"


@pytest.mark.parametrize(("iin", "bin_"), [(None, BIN), ("85051230012", BIN), (IIN, "08034042445X")])
def test_a_certificate_without_a_proper_iin_or_bin_names_nobody(
    verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey, iin: str | None, bin_: str,
) -> None:
    person = ca.issue(COMMON_NAME, iin, bin_, ORGANIZATION, private_key=ec_key)
    assert_login_refused(verifier, person, "signature.no_identity")


# --- refused: revocation information -----------------------------------------------------------------------
def test_a_stale_crl_fails_closed(make_ca: Callable[..., DevelopmentCA], ec_key: PrivateKey) -> None:
    other = make_ca()
    person = other.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    other.crl(this_update=ago(days=2), next_update=ago(minutes=1))
    refused = assert_login_refused(CmsSignatureVerifier(TrustStore(other.trust_dir, other.crl_files)), person,
                                   "signature.crl_unavailable")
    assert refused.params["why"] == "stale"


@pytest.mark.parametrize("sources", ["root only", "none"])
def test_a_missing_crl_fails_closed(
    make_ca: Callable[..., DevelopmentCA], ec_key: PrivateKey, sources: str,
) -> None:
    other = make_ca()
    person = other.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    crl_files = [other.root_crl_path] if sources == "root only" else []
    refused = assert_login_refused(CmsSignatureVerifier(TrustStore(other.trust_dir, crl_files)), person,
                                   "signature.crl_unavailable")
    assert refused.params["why"] == "missing"


# --- refused: the signature or the content -----------------------------------------------------------------
def test_a_signature_over_other_data_is_refused(verifier: CmsSignatureVerifier, rsa_person: IssuedCertificate) -> None:
    signature = signed_login(rsa_person, b"an older challenge")
    assert refusal(lambda: login(verifier, signature, CHALLENGE)).code == "signature.content_mismatch"


def flip_signature_byte(signature: bytes) -> bytes:
    value = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]["signature"].native
    at = signature.index(value) + len(value) // 2
    return signature[:at] + bytes([signature[at] ^ 0x01]) + signature[at + 1:]


@pytest.mark.parametrize("person_fixture", ["rsa_person", "ec_person"])
def test_tampered_signature_bytes_are_refused(
    request: pytest.FixtureRequest, verifier: CmsSignatureVerifier, person_fixture: str,
) -> None:
    person: IssuedCertificate = request.getfixturevalue(person_fixture)
    signature = flip_signature_byte(signed_login(person))
    assert refusal(lambda: login(verifier, signature, CHALLENGE)).code == "signature.invalid"


def test_tampered_attached_content_is_refused(verifier: CmsSignatureVerifier, rsa_person: IssuedCertificate) -> None:
    forged = b"tanba-login:XXXXXX\n"
    signature = signed_login(rsa_person).replace(CHALLENGE, forged)
    assert refusal(lambda: login(verifier, signature, forged)).code == "signature.invalid"


def test_a_tampered_document_is_refused(verifier: CmsSignatureVerifier, ec_person: IssuedCertificate) -> None:
    signature = sign_detached(ec_person.certificate, ec_person.private_key, DOCUMENT, ec_person.chain)
    tampered = DOCUMENT.replace(b"080340424453", b"150240517508")
    assert refusal(lambda: document(verifier, signature, tampered)).code == "signature.invalid"
    assert refusal(lambda: document(verifier, signature, DOCUMENT + b" ")).code == "signature.invalid"


def test_attached_and_detached_are_not_interchangeable(
    verifier: CmsSignatureVerifier, ec_person: IssuedCertificate,
) -> None:
    detached = sign_detached(ec_person.certificate, ec_person.private_key, CHALLENGE, ec_person.chain)
    assert refusal(lambda: login(verifier, detached, CHALLENGE)).code == "signature.no_content"
    attached = signed_login(ec_person)
    assert refusal(lambda: document(verifier, attached, CHALLENGE)).code == "signature.attached"


@pytest.mark.parametrize("garbage", [b"", b"not a signature", b"0\x80", b"MIIB" * 20])
def test_bytes_that_are_not_cms_are_malformed(verifier: CmsSignatureVerifier, garbage: bytes) -> None:
    assert refusal(lambda: login(verifier, garbage, CHALLENGE)).code == "signature.malformed"
    assert refusal(lambda: document(verifier, garbage, DOCUMENT)).code == "signature.malformed"


def test_a_certificate_is_not_a_signature(verifier: CmsSignatureVerifier, rsa_person: IssuedCertificate) -> None:
    der = rsa_person.certificate.public_bytes(Encoding.DER)
    assert refusal(lambda: login(verifier, der, CHALLENGE)).code == "signature.malformed"


def test_a_gost_signature_is_refused_as_unsupported(
    verifier: CmsSignatureVerifier, ec_person: IssuedCertificate,
) -> None:
    info = cms.ContentInfo.load(signed_login(ec_person))
    signer = info["content"]["signer_infos"][0]
    signer["signature_algorithm"] = cms.SignedDigestAlgorithm({"algorithm": "1.2.643.7.1.1.3.2"})  # GOST 34.10-2012
    signer["digest_algorithm"] = cms.DigestAlgorithm({"algorithm": "1.2.643.7.1.1.2.2"})  # Streebog-256
    refused = refusal(lambda: login(verifier, info.dump(force=True), CHALLENGE))
    assert refused.code == "signature.algorithm_unsupported"
    assert refused.params["signature"] == "1.2.643.7.1.1.3.2"


def test_a_refusal_leaves_no_pyhanko_warning(
    verifier: CmsSignatureVerifier, unknown_ca: DevelopmentCA, ec_key: PrivateKey, caplog: pytest.LogCaptureFixture,
) -> None:
    stranger = unknown_ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)
    with caplog.at_level(logging.WARNING):
        assert_login_refused(verifier, stranger, "signature.untrusted")
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pyhanko")] == []


def test_a_refusal_is_a_401_problem_with_its_reason() -> None:
    refused = SignatureRefused("signature.expired", {"subject": "X"})
    assert (refused.status_code, [f.code for f in refused.faults], refused.faults[0].params) == (
        401, ["signature.expired"], {"subject": "X"})


# --- properties ----------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_are_malformed(verifier: CmsSignatureVerifier, data: bytes) -> None:
    assert refusal(lambda: login(verifier, data, CHALLENGE)).code == "signature.malformed"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.floats(min_value=0, max_value=1, exclude_max=True), bit=st.integers(0, 7))
def test_a_flipped_bit_never_crashes_the_verifier_nor_changes_the_signer(
    verifier: CmsSignatureVerifier, ec_person: IssuedCertificate, position: float, bit: int,
) -> None:
    """Some bits are not signed (a copy of the root in the CMS, the digest algorithm list): flipping those
    may still verify, but only ever as the same person."""
    signature = signed_login(ec_person)
    at = int(position * len(signature))
    mutated = signature[:at] + bytes([signature[at] ^ (1 << bit)]) + signature[at + 1:]
    try:
        identity = login(verifier, mutated, CHALLENGE)
    except SignatureRefused:
        return
    assert identity.certificate_sha256 == hashlib.sha256(ec_person.certificate.public_bytes(Encoding.DER)).hexdigest()


def test_the_validation_time_is_now(verifier: CmsSignatureVerifier, ca: DevelopmentCA, ec_key: PrivateKey) -> None:
    """A certificate that expires between two logins is refused at the second (no context is reused)."""
    import time

    person = ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key,
                      not_before=ago(days=1), not_after=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1))
    assert login(verifier, signed_login(person), CHALLENGE).iin == IIN
    time.sleep(2.2)
    assert_login_refused(verifier, person, "signature.expired")
