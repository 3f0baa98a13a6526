"""The certificates and revocation lists the platform trusts: CA certificates from a directory, CRLs from
files or URLs, verified once on load and indexed by issuer, so a revocation check is a dict lookup.

pyhanko-certvalidator scans a whole CRL on every check (≈ 30 ms at 10k entries), so paths are validated
there with revocation off and checked here; a missing or stale CRL refuses the issuer's certificates.
"""

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx
from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko_certvalidator.path import ValidationPath

log = logging.getLogger("tanba.security.trust")

CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer")
DEFAULT_TIMEOUT = 10.0
CLOCK_SKEW = dt.timedelta(minutes=5)


class RevocationProblem(Exception):
    """A certificate of a path cannot be accepted for revocation reasons; ``code`` is the refusal code."""

    code = "signature.crl_unavailable"

    def __init__(self, message: str, params: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.params = dict(params)


class CertificateRevoked(RevocationProblem):
    code = "signature.revoked"


class RevocationUnknown(RevocationProblem):
    """No usable (present, verified, in scope, fresh) CRL of the certificate's issuer: fail closed."""

    code = "signature.crl_unavailable"


@dataclass(frozen=True)
class RevokedEntry:
    revoked_at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class RevocationList:
    """One verified CRL: what it revokes, when it was issued, until when it may be relied on, what it covers."""

    source: str
    issuer: str
    this_update: dt.datetime
    next_update: dt.datetime | None
    number: int | None
    revoked: dict[int, RevokedEntry] = field(repr=False)
    only_user_certs: bool = False
    only_ca_certs: bool = False
    # Distribution point names of a partitioned CRL; None: the CRL covers all the issuer's certificates.
    partition: frozenset[str] | None = None

    def fresh_at(self, moment: dt.datetime) -> bool:
        # No nextUpdate means nobody promised a next CRL: it cannot show that nothing changed since.
        return (self.next_update is not None and self.this_update <= moment + CLOCK_SKEW
                and moment < self.next_update)

    def newer_than(self, other: "RevocationList") -> bool:
        return (self.this_update, self.number or -1) > (other.this_update, other.number or -1)

    def covers(self, certificate: ax509.Certificate) -> bool:
        if self.only_user_certs and certificate.ca:
            return False
        if self.only_ca_certs and not certificate.ca:
            return False
        return self.partition is None or bool(self.partition & _distribution_point_names(certificate))


@dataclass(frozen=True)
class _TrustState:
    roots: tuple[ax509.Certificate, ...]
    intermediates: tuple[ax509.Certificate, ...]
    crls_by_issuer: dict[bytes, tuple[RevocationList, ...]]
    crls_by_source: dict[str, tuple[bytes, RevocationList]]  # source → (issuer key, CRL)


def issuer_key(name: ax509.Name, public_key: akeys.PublicKeyInfo) -> bytes:
    """Identifies an issuing key: its CA's name and public key (a re-keyed CA keeps its name)."""
    return hashlib.sha256(name.dump() + public_key.dump()).digest()


def _distribution_point_names(certificate: ax509.Certificate) -> frozenset[str]:
    names: set[str] = set()
    for point in certificate.crl_distribution_points_value or ():
        name = point["distribution_point"]
        if name.name == "full_name":
            names.update(str(general.native) for general in name.chosen)
    return frozenset(names)


def _read_certificates(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def _is_self_signed(certificate: x509.Certificate) -> bool:
    if certificate.subject != certificate.issuer:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _signed_by(crl: x509.CertificateRevocationList, issuer: x509.Certificate) -> bool:
    try:
        return crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]  # unsupported keys raise
    except (TypeError, ValueError, UnsupportedAlgorithm):
        return False


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _may_sign_crls(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign)
    except x509.ExtensionNotFound:
        return True


class TrustStore:
    """Trusted CA certificates (self-signed ones are trust roots) and verified, indexed CRLs.

    ``crl_sources`` are file paths, ``file://`` URLs or ``http(s)://`` URLs. A source that fails on
    :meth:`reload` keeps its previously loaded CRL (until that goes stale). Delta CRLs are not used.
    The state is swapped in one assignment, so :meth:`reload` may run in another thread.
    """

    def __init__(
        self, trust_dir: Path | str, crl_sources: Iterable[str | Path] = (), *, timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.trust_dir = Path(trust_dir)
        self.crl_sources = tuple(str(s) for s in crl_sources)
        self.timeout = timeout
        self._state = _TrustState((), (), {}, {})
        self.reload()

    @property
    def roots(self) -> tuple[ax509.Certificate, ...]:
        return self._state.roots

    @property
    def intermediates(self) -> tuple[ax509.Certificate, ...]:
        return self._state.intermediates

    @property
    def revocation_lists(self) -> tuple[RevocationList, ...]:
        return tuple(crl for _, crl in self._state.crls_by_source.values())

    def reload(self) -> None:
        """Read the trust directory and every CRL source again."""
        certificates = self._load_certificates()
        roots = tuple(c for c in certificates if _is_self_signed(c))
        intermediates = tuple(c for c in certificates if c not in roots)
        if not roots:
            log.error("no trust root (self-signed CA certificate) in %s: every signature will be refused",
                      self.trust_dir)
        previous = self._state.crls_by_source
        by_source: dict[str, tuple[bytes, RevocationList]] = {}
        by_issuer: dict[bytes, list[RevocationList]] = {}
        for source in self.crl_sources:
            try:
                key, crl = self._load_crl(source, certificates)
            except Exception as exc:  # one bad source must not take the others down
                log.error("CRL from %s not loaded: %s", source, exc)
                if source not in previous:
                    continue
                log.warning("keeping the CRL previously loaded from %s", source)
                key, crl = previous[source]
            if source in previous and previous[source][1].newer_than(crl):
                log.warning("%s served an older CRL than the one loaded before (replayed?): keeping the newer", source)
                key, crl = previous[source]
            by_source[source] = (key, crl)
            by_issuer.setdefault(key, []).append(crl)
        self._state = _TrustState(
            roots=tuple(ax509.Certificate.load(c.public_bytes(Encoding.DER)) for c in roots),
            intermediates=tuple(ax509.Certificate.load(c.public_bytes(Encoding.DER)) for c in intermediates),
            crls_by_issuer={k: tuple(v) for k, v in by_issuer.items()},
            crls_by_source=by_source,
        )
        log.info("trust store: %d roots, %d intermediates, %d CRLs", len(roots), len(intermediates), len(by_source))

    def _load_certificates(self) -> list[x509.Certificate]:
        found: list[x509.Certificate] = []
        if not self.trust_dir.is_dir():
            log.error("trust directory %s does not exist", self.trust_dir)
            return found
        for path in sorted(self.trust_dir.iterdir()):
            if path.suffix.lower() not in CERTIFICATE_SUFFIXES or not path.is_file():
                continue
            try:
                certificates = _read_certificates(path)
            except ValueError as exc:
                log.error("%s skipped: not a certificate file (%s)", path, exc)
                continue
            for certificate in certificates:
                if not _is_ca(certificate):
                    log.error("%s: %s skipped: not a CA certificate", path, certificate.subject.rfc4514_string())
                elif certificate not in found:
                    found.append(certificate)
        return found

    def _fetch(self, source: str) -> bytes:
        url = urlparse(source)
        if url.scheme in ("http", "https"):
            response = httpx.get(source, timeout=self.timeout, follow_redirects=True)
            response.raise_for_status()
            return response.content
        if url.scheme == "file":
            return Path(unquote(url.path)).read_bytes()
        return Path(source).read_bytes()

    def _load_crl(self, source: str, certificates: list[x509.Certificate]) -> tuple[bytes, RevocationList]:
        data = self._fetch(source)
        crl = x509.load_pem_x509_crl(data) if data.lstrip().startswith(b"-----BEGIN") else x509.load_der_x509_crl(data)
        issuer = next(
            (c for c in certificates
             if c.subject == crl.issuer and _may_sign_crls(c) and _signed_by(crl, c)),
            None,
        )
        if issuer is None:
            raise ValueError(f"no trusted CA certificate of {crl.issuer.rfc4514_string()} verifies this CRL")
        extensions = crl.extensions
        if _extension(extensions, x509.DeltaCRLIndicator) is not None:
            raise ValueError("a delta CRL; configure the issuer's full CRL")
        only_user = only_ca = False
        partition = None
        scope = _extension(extensions, x509.IssuingDistributionPoint)
        if scope is not None:
            if scope.indirect_crl or scope.only_some_reasons or scope.only_contains_attribute_certs \
                    or scope.relative_name:
                raise ValueError("an indirect, reason-partitioned or attribute CRL; not supported")
            only_user, only_ca = scope.only_contains_user_certs, scope.only_contains_ca_certs
            if scope.full_name:
                partition = frozenset(str(n.value) for n in scope.full_name)
        number = _extension(extensions, x509.CRLNumber)
        revoked = {}
        for entry in crl:
            reason = _extension(entry.extensions, x509.CRLReason)
            revoked[entry.serial_number] = RevokedEntry(
                entry.revocation_date_utc, reason.reason.value if reason is not None else None)
        anchor = ax509.Certificate.load(issuer.public_bytes(Encoding.DER))
        loaded = RevocationList(
            source=source, issuer=issuer.subject.rfc4514_string(), this_update=crl.last_update_utc,
            next_update=crl.next_update_utc, number=number.crl_number if number is not None else None,
            revoked=revoked, only_user_certs=only_user, only_ca_certs=only_ca, partition=partition,
        )
        if not loaded.fresh_at(dt.datetime.now(dt.UTC)):
            log.warning("CRL from %s is not fresh (next update %s): %s's certificates will be refused",
                        source, loaded.next_update, loaded.issuer)
        return issuer_key(anchor.subject, anchor.public_key), loaded

    def serial_revoked(self, serial_hex: str) -> bool:
        """Whether a loaded CRL names this certificate serial (a session's certificate, checked per request;
        serials are random 64-bit or longer, so one CA's number naming another CA's certificate is remote,
        and would refuse, not admit)."""
        try:
            serial = int(serial_hex, 16)
        except ValueError:
            return False
        return any(serial in crl.revoked for _, crl in self._state.crls_by_source.values())

    def check_revocation(self, path: ValidationPath, moment: dt.datetime) -> None:
        """Raise :class:`CertificateRevoked` or :class:`RevocationUnknown` for the first certificate of
        ``path`` (trust root excluded) that is revoked or whose issuer has no fresh CRL covering it."""
        state = self._state
        for authority, certificate in _issued_pairs(path):
            key = issuer_key(authority.name, authority.public_key)
            params = {"subject": certificate.subject.human_friendly, "issuer": authority.name.human_friendly,
                      "serial": format(certificate.serial_number, "x")}
            in_scope = [c for c in state.crls_by_issuer.get(key, ()) if c.covers(certificate)]
            if not in_scope:
                raise RevocationUnknown("no CRL of the issuer", {**params, "why": "missing"})
            fresh = [c for c in in_scope if c.fresh_at(moment)]
            if not fresh:
                raise RevocationUnknown("the issuer's CRL is stale", {**params, "why": "stale"})
            for crl in fresh:
                entry = crl.revoked.get(certificate.serial_number)
                if entry is not None:
                    raise CertificateRevoked("certificate revoked", {
                        **params, "reason": entry.reason or "unspecified", "revoked_at": entry.revoked_at.isoformat(),
                    })


def _issued_pairs(path: ValidationPath) -> Iterator[tuple[Any, ax509.Certificate]]:
    """(issuing authority, certificate) for each certificate of the path below the trust root."""
    return zip(path.iter_authorities(), path.iter_certs(include_root=False), strict=True)


def _extension(extensions: x509.Extensions, kind: type[Any]) -> Any:
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


