"""The one signature verifier: CMS (PKCS#7) signatures, attached (login) and detached (documents), checked
for integrity, a path to a trusted root, validity now, key usage and revocation; the signer's identity
(IIN, BIN) comes from the certificate.

Callers see only :class:`SignatureVerifier`, so a GOST adapter can be added behind it; until then GOST
signatures are refused as ``signature.algorithm_unsupported`` (fail closed).
"""

import datetime as dt
import enum
import hashlib
import itertools
import logging
import re
from dataclasses import dataclass
from typing import Any, Protocol

from asn1crypto import cms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.oid import NameOID
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature, async_validate_detached_cms
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import StandardCMSSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy
from pyhanko_certvalidator.validate import ValidationPath

from api.faults import Fault, TanbaError
from api.security.trust import RevocationProblem, TrustStore

log = logging.getLogger("tanba.security.signatures")

IIN_PATTERN = re.compile(r"IIN(\d{12})")
BIN_PATTERN = re.compile(r"BIN(\d{12})")
# What this verifier can check. Anything else (GOST R 34.10/34.11 = OIDs 1.2.643.*, SHA-1, small RSA
# keys, other curves) is refused as unsupported rather than half-checked.
DIGESTS = frozenset({"sha256", "sha384", "sha512"})
SIGNATURE_MECHANISMS = frozenset({
    "rsassa_pkcs1v15", "sha256_rsa", "sha384_rsa", "sha512_rsa", "rsassa_pss",
    "ecdsa", "sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa",
})
MIN_RSA_BITS = 2048
CURVES = {"secp256r1": "P256", "secp384r1": "P384", "secp521r1": "P521"}


class Purpose(enum.Enum):
    """What a signature is for, and so which key usages its certificate must have."""

    LOGIN = "login"  # digitalSignature + extended key usage clientAuth
    DOCUMENT = "document"  # digitalSignature


KEY_USAGES = {
    Purpose.LOGIN: KeyUsageConstraints(key_usage={"digital_signature"}, extd_key_usage={"client_auth"}),
    Purpose.DOCUMENT: KeyUsageConstraints(key_usage={"digital_signature"}, extd_key_usage=None),
}


@dataclass(frozen=True)
class SignerIdentity:
    """Who signed, from a certificate that passed every check."""

    iin: str | None
    bin: str | None
    common_name: str
    organization: str | None
    certificate_serial: str  # hexadecimal
    certificate_sha256: str  # hexadecimal, of the DER certificate
    issuer: str  # RFC 4514
    not_before: dt.datetime
    not_after: dt.datetime
    key_algorithm: str  # RSA-2048, ECDSA-P256, …


class SignatureRefused(TanbaError):
    """The signature is not accepted. ``code`` is the message code (one per reason), ``params`` its details."""

    status_code = 401
    title_code = "error.signature_refused"

    def __init__(self, code: str, params: dict[str, Any] | None = None) -> None:
        self.code = code
        self.params = dict(params or {})
        super().__init__(Fault(code, "signature", params=self.params))


class SignatureVerifier(Protocol):
    async def verify_attached(self, cms_der: bytes, expected_content: bytes, purpose: Purpose) -> SignerIdentity:
        """Verify a CMS carrying its content, and that the content is exactly ``expected_content``."""
        ...

    async def verify_detached(self, cms_der: bytes, content: bytes, purpose: Purpose) -> SignerIdentity:
        """Verify a CMS that signs ``content`` without carrying it."""
        ...


def _refuse(code: str, **params: Any) -> SignatureRefused:
    return SignatureRefused(code, params)


def parse_signed_data(cms_der: bytes) -> cms.SignedData:
    """The SignedData of a DER CMS with exactly one signer, or ``signature.malformed``."""
    try:
        info = cms.ContentInfo.load(cms_der, strict=True)
        if info["content_type"].native != "signed_data":
            raise _refuse("signature.malformed", reason="not a CMS SignedData")
        signed_data = info["content"]
        signers = signed_data["signer_infos"]
        if len(signers) != 1:
            raise _refuse("signature.malformed", reason=f"{len(signers)} signers; exactly one is expected")
        # asn1crypto parses lazily: touch what the checks read so that garbage fails here.
        signers[0]["signature_algorithm"]["algorithm"].native  # noqa: B018
        signers[0]["digest_algorithm"]["algorithm"].native  # noqa: B018
        signed_data["encap_content_info"]["content"].native  # noqa: B018
    except SignatureRefused:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError… on garbage
        raise _refuse("signature.malformed", reason="not DER CMS") from exc
    return signed_data


def _check_algorithms(signed_data: cms.SignedData) -> None:
    signer = signed_data["signer_infos"][0]
    mechanism = signer["signature_algorithm"]["algorithm"].native
    digest = signer["digest_algorithm"]["algorithm"].native
    if mechanism not in SIGNATURE_MECHANISMS or digest not in DIGESTS:
        raise _refuse("signature.algorithm_unsupported", signature=str(mechanism), digest=str(digest))


def _check_signer_key(certificate: ax509.Certificate) -> str:
    """The signer key's description (``RSA-2048``, ``ECDSA-P256``), or ``algorithm_unsupported``."""
    key = certificate.public_key
    algorithm = key.algorithm
    if algorithm == "rsa" and key.bit_size >= MIN_RSA_BITS:
        return f"RSA-{key.bit_size}"
    if algorithm == "ec":
        kind, curve = key.curve
        if kind == "named" and curve in CURVES:
            return f"ECDSA-{CURVES[curve]}"
    raise _refuse("signature.algorithm_unsupported", key=str(key["algorithm"]["algorithm"].dotted))


def _signer_certificate(signed_data: cms.SignedData) -> ax509.Certificate:
    """The certificate the SignerInfo names, found by serial number and raw issuer bytes (cheap; pyHanko's
    own lookup compares normalised names, a fifth of a verification). Only for the early algorithm check:
    the identity comes from the certificate pyHanko validated."""
    try:
        sid = signed_data["signer_infos"][0]["sid"]
        certificates = [c.chosen for c in signed_data["certificates"] or () if c.name == "certificate"]
        if sid.name == "issuer_and_serial_number":
            serial, issuer = sid.chosen["serial_number"].native, sid.chosen["issuer"].dump()
            found = [c for c in certificates if c.serial_number == serial and c.issuer.dump() == issuer]
        else:
            found = [c for c in certificates if c.key_identifier == sid.chosen.native]
        certificate = found[0] if len(found) == 1 else extract_certificate_info(signed_data).signer_cert
        certificate.public_key.algorithm  # noqa: B018 (parse now: garbage is malformed, not a crash later)
    except Exception as exc:
        raise _refuse("signature.malformed", reason="the signer's certificate is not in the CMS") from exc
    return certificate


def _path_signatures_hold(path: ValidationPath) -> bool:
    certificates = [x509.load_der_x509_certificate(c.dump()) for c in path.iter_certs(include_root=True)]
    try:
        for issuer, certificate in itertools.pairwise(certificates):
            certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _classify_untrusted(
    status: StandardCMSSignatureStatus, usage: KeyUsageConstraints, moment: dt.datetime,
) -> SignatureRefused:
    """Why pyHanko found no trusted path: expired, not yet valid, key usage, weak algorithm, or untrusted."""
    indication = status.trust_problem_indic
    name = getattr(indication, "name", str(indication))
    if name.startswith("CRYPTO_CONSTRAINTS_FAILURE"):
        return _refuse("signature.algorithm_unsupported", indication=name)
    path: ValidationPath | None = status.validation_path
    if path is not None and _path_signatures_hold(path):  # else a damaged certificate: untrusted
        for certificate in path.iter_certs(include_root=True):
            validity = certificate["tbs_certificate"]["validity"]
            params = {"subject": certificate.subject.human_friendly}
            if moment > validity["not_after"].native:
                return _refuse("signature.expired", **params, not_after=validity["not_after"].native.isoformat())
            if moment < validity["not_before"].native:
                return _refuse("signature.not_yet_valid", **params,
                               not_before=validity["not_before"].native.isoformat())
    if name == "CHAIN_CONSTRAINTS_FAILURE":  # pyHanko checks key usage once the path is valid
        try:
            usage.validate(status.signing_cert)
        except InvalidCertificateError as exc:
            return _refuse("signature.key_usage", detail=exc.failure_msg)
    return _refuse("signature.untrusted", indication=name)


def _subject_values(certificate: x509.Certificate, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value) for a in certificate.subject.get_attributes_for_oid(oid)]


def signer_identity(certificate: ax509.Certificate, key_algorithm: str) -> SignerIdentity:
    """The identity in an NCA-style subject: SERIALNUMBER=IIN<12 digits>, OU=BIN<12 digits> (legal entities)."""
    der = certificate.dump()
    parsed = x509.load_der_x509_certificate(der)
    serials = _subject_values(parsed, NameOID.SERIAL_NUMBER)
    iins = [m.group(1) for s in serials if (m := IIN_PATTERN.fullmatch(s.strip()))]
    if len(iins) != 1:
        raise _refuse("signature.no_identity", serial_numbers=serials)
    units = _subject_values(parsed, NameOID.ORGANIZATIONAL_UNIT_NAME)
    bin_like = [u.strip() for u in units if u.strip().startswith("BIN")]  # NCA writes it upper-case
    bins = [m.group(1) for u in bin_like if (m := BIN_PATTERN.fullmatch(u))]
    if len(bin_like) > 1 or len(bins) != len(bin_like):
        raise _refuse("signature.no_identity", organizational_units=units)
    names = _subject_values(parsed, NameOID.COMMON_NAME)
    organizations = _subject_values(parsed, NameOID.ORGANIZATION_NAME)
    return SignerIdentity(
        iin=iins[0], bin=bins[0] if bins else None, common_name=names[0] if names else "",
        organization=organizations[0] if organizations else None,
        certificate_serial=format(parsed.serial_number, "x"), certificate_sha256=hashlib.sha256(der).hexdigest(),
        issuer=parsed.issuer.rfc4514_string(), not_before=parsed.not_valid_before_utc,
        not_after=parsed.not_valid_after_utc, key_algorithm=key_algorithm,
    )


class CmsSignatureVerifier:
    """RSA and ECDSA CMS signatures, validated with pyHanko against a :class:`TrustStore`.

    A fresh ``ValidationContext`` per verification (a reused one keeps its validation time and every
    certificate it saw); path validation there runs with revocation off and the trust store checks
    revocation from its indexed CRLs.
    """

    def __init__(self, trust_store: TrustStore) -> None:
        self.trust_store = trust_store
        # pyHanko logs every refused signature as a WARNING with a traceback, and a damaged certificate
        # inside a CMS as an ERROR with a traceback: both are the sender's doing, and the refusal carries
        # the reason. Only CRITICAL passes.
        logging.getLogger("pyhanko.sign.validation").setLevel(logging.CRITICAL)

    def _context(self, moment: dt.datetime) -> ValidationContext:
        return ValidationContext(
            trust_roots=list(self.trust_store.roots), other_certs=list(self.trust_store.intermediates),
            moment=moment, allow_fetching=False, revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
        )

    async def verify_attached(self, cms_der: bytes, expected_content: bytes, purpose: Purpose) -> SignerIdentity:
        signed_data = parse_signed_data(cms_der)
        content = signed_data["encap_content_info"]["content"].native
        if content is None:
            raise _refuse("signature.no_content")
        return await self._verify(signed_data, purpose, None, expected_content)

    async def verify_detached(self, cms_der: bytes, content: bytes, purpose: Purpose) -> SignerIdentity:
        signed_data = parse_signed_data(cms_der)
        if signed_data["encap_content_info"]["content"].native is not None:
            raise _refuse("signature.attached")
        return await self._verify(signed_data, purpose, content, None)

    async def _verify(
        self, signed_data: cms.SignedData, purpose: Purpose, detached_content: bytes | None,
        expected_content: bytes | None,
    ) -> SignerIdentity:
        try:
            return await self._checked(signed_data, purpose, detached_content, expected_content)
        except SignatureRefused:
            raise
        except Exception as exc:  # asn1crypto parses lazily: a damaged part may fail anywhere. Never accept.
            log.info("signature refused: unprocessable CMS", exc_info=True)
            raise _refuse("signature.malformed", reason=type(exc).__name__) from exc

    async def _checked(
        self, signed_data: cms.SignedData, purpose: Purpose, detached_content: bytes | None,
        expected_content: bytes | None,
    ) -> SignerIdentity:
        _check_algorithms(signed_data)
        _check_signer_key(_signer_certificate(signed_data))
        usage = KEY_USAGES[purpose]
        moment = dt.datetime.now(dt.UTC)
        context = self._context(moment)
        try:
            if detached_content is None:
                status = await async_validate_cms_signature(
                    signed_data, status_cls=StandardCMSSignatureStatus, validation_context=context,
                    key_usage_settings=usage)
            else:
                status = await async_validate_detached_cms(
                    detached_content, signed_data, signer_validation_context=context, key_usage_settings=usage)
        except SignatureValidationError as exc:
            subindication = getattr(exc.ades_subindication, "name", "")
            if subindication in ("FORMAT_FAILURE", "NO_SIGNING_CERTIFICATE_FOUND"):
                raise _refuse("signature.malformed", reason=exc.failure_message) from exc
            raise _refuse("signature.invalid", reason=exc.failure_message) from exc

        if not (status.intact and status.valid):
            raise _refuse("signature.invalid", intact=status.intact, valid=status.valid)
        if not status.bottom_line:
            raise _classify_untrusted(status, usage, moment)
        signer = status.signing_cert
        try:
            usage.validate(signer)  # again: pyHanko rebuilds the constraints and skips them for trust roots
        except InvalidCertificateError as exc:
            raise _refuse("signature.key_usage", detail=exc.failure_msg) from exc
        if signer.ca:
            raise _refuse("signature.key_usage", detail="the signer's certificate is a CA certificate")
        if status.validation_path is None:  # bottom_line implies a path; never accept without one
            raise _refuse("signature.untrusted")
        try:
            self.trust_store.check_revocation(status.validation_path, moment)
        except RevocationProblem as exc:
            raise _refuse(exc.code, **exc.params) from exc
        if expected_content is not None and signed_data["encap_content_info"]["content"].native != expected_content:
            raise _refuse("signature.content_mismatch")
        return signer_identity(signer, _check_signer_key(signer))
