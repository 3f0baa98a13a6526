"""A development PKI shaped like Kazakhstan's national CA (NCA): root, issuing CA, participant certificates,
revocation lists, PKCS#12 key files, client-side CMS signing, and the ``tanba pki`` commands.

For development and tests only: production trusts the national CA's certificates and CRLs instead.
"""

import argparse
import csv
import datetime as dt
import enum
import json
import os
import secrets
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tanba.settings import Settings

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

ROOT_NAME = "Tanba Development Root CA"
ISSUING_NAME = "Tanba Development NCA"
CLIENT_AUTH = ExtendedKeyUsageOID.CLIENT_AUTH
EMAIL_PROTECTION = ExtendedKeyUsageOID.EMAIL_PROTECTION
KEY_USAGE_NAMES = frozenset({
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
    "key_cert_sign", "crl_sign",
})
# Clock skew allowance for freshly issued certificates and CRLs.
BACKDATE = dt.timedelta(minutes=5)
DEFAULT_CRL_VALIDITY = dt.timedelta(days=30)


class KeyAlgorithm(enum.StrEnum):
    RSA = "rsa"  # RSA-2048
    EC = "ec"  # ECDSA P-256


class PKIError(Exception):
    """A PKI operation that cannot be done as asked (no CA in the folder, unknown serial, bad key file)."""


class Pkcs12PasswordError(PKIError):
    """The PKCS#12 file could not be opened: wrong password, or the file is damaged."""


@dataclass(frozen=True)
class IssuedCertificate:
    """A certificate, its private key, and the chain up to (and including) the root, leaf's issuer first."""

    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...] = ()

    @property
    def serial_hex(self) -> str:
        return format(self.certificate.serial_number, "x")


def generate_key(algorithm: KeyAlgorithm | str = KeyAlgorithm.RSA) -> PrivateKey:
    if KeyAlgorithm(algorithm) is KeyAlgorithm.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret (key, password, key file) readable by the owner only, whatever the umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # a reader (the trust store) never sees half a CRL


def _key_usage(names: Collection[str]) -> x509.KeyUsage:
    unknown = set(names) - KEY_USAGE_NAMES
    if unknown:
        raise ValueError(f"unknown key usage {sorted(unknown)}; known: {sorted(KEY_USAGE_NAMES)}")
    return x509.KeyUsage(
        digital_signature="digital_signature" in names, content_commitment="content_commitment" in names,
        key_encipherment="key_encipherment" in names, data_encipherment="data_encipherment" in names,
        key_agreement="key_agreement" in names, key_cert_sign="key_cert_sign" in names,
        crl_sign="crl_sign" in names, encipher_only=False, decipher_only=False,
    )


def participant_name(
    common_name: str, iin: str | None, bin: str | None = None, organization: str | None = None,
    surname: str | None = None, given_name: str | None = None,
) -> x509.Name:
    """A subject as the NCA writes it: SERIALNUMBER=IIN…, OU=BIN… for a legal entity's employee."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if surname:
        attributes.append(x509.NameAttribute(NameOID.SURNAME, surname))
    if iin is not None:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}"))
    attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"))
    if given_name:
        attributes.append(x509.NameAttribute(NameOID.GIVEN_NAME, given_name))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    if bin is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"BIN{bin}"))
    return x509.Name(attributes)


def _end_entity_extensions(
    builder: x509.CertificateBuilder, key: PrivateKey, key_usage: Collection[str],
    extended_key_usage: Collection[x509.ObjectIdentifier],
) -> x509.CertificateBuilder:
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(key_usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if extended_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(extended_key_usage)), critical=False)
    return builder


def _default_usages(
    non_repudiation: bool, email_protection: bool, key_usage: Collection[str] | None,
    extended_key_usage: Collection[x509.ObjectIdentifier] | None,
) -> tuple[Collection[str], Collection[x509.ObjectIdentifier]]:
    if key_usage is None:
        key_usage = {"digital_signature", "content_commitment"} if non_repudiation else {"digital_signature"}
    if extended_key_usage is None:
        extended_key_usage = [CLIENT_AUTH, EMAIL_PROTECTION] if email_protection else [CLIENT_AUTH]
    return key_usage, extended_key_usage


def self_signed(
    common_name: str, iin: str | None, bin: str | None = None, organization: str | None = None, *,
    key: KeyAlgorithm | str = KeyAlgorithm.RSA, private_key: PrivateKey | None = None, days: int = 365,
) -> IssuedCertificate:
    """A self-signed certificate that looks like a participant's (what an impostor would make)."""
    private_key = private_key or generate_key(key)
    name = participant_name(common_name, iin, bin, organization)
    now = _now()
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=days))
    )
    builder = _end_entity_extensions(builder, private_key, {"digital_signature"}, [CLIENT_AUTH])
    return IssuedCertificate(builder.sign(private_key, hashes.SHA256()), private_key, ())


# --- the development CA ----------------------------------------------------------------------------------
@dataclass(eq=False)
class DevelopmentCA:
    """A root CA and its issuing CA ("Tanba Development NCA"), kept in a folder.

    Layout: ``ca.json`` (settings), ``trust/`` (root.crt, nca.crt: what a platform trusts), ``crl/``
    (root.crl, nca.crl, DER), ``private/`` (encrypted CA keys and their password, owner-only),
    ``revoked.json`` (revocations and the CRL number), ``issued.jsonl`` (every certificate issued).
    """

    folder: Path
    root_certificate: x509.Certificate
    root_key: PrivateKey
    certificate: x509.Certificate
    key: PrivateKey
    crl_url: str

    # --- files ---
    @property
    def trust_dir(self) -> Path:
        return self.folder / "trust"

    @property
    def crl_path(self) -> Path:
        return self.folder / "crl" / "nca.crl"

    @property
    def root_crl_path(self) -> Path:
        return self.folder / "crl" / "root.crl"

    @property
    def crl_files(self) -> tuple[Path, Path]:
        return self.root_crl_path, self.crl_path

    @property
    def chain(self) -> tuple[x509.Certificate, x509.Certificate]:
        """The issuing CA then the root: what a participant's key file carries besides its own certificate."""
        return self.certificate, self.root_certificate

    @staticmethod
    def exists(folder: Path) -> bool:
        return (Path(folder) / "ca.json").is_file()

    @classmethod
    def create(
        cls, folder: Path | str, *, crl_url: str | None = None, root_crl_url: str | None = None,
        key: KeyAlgorithm | str = KeyAlgorithm.RSA, root_name: str = ROOT_NAME, issuing_name: str = ISSUING_NAME,
        initial_crl_validity: dt.timedelta = DEFAULT_CRL_VALIDITY,
    ) -> "DevelopmentCA":
        """Create the CA in ``folder``, or load it when it is already there (its settings are then kept)."""
        folder = Path(folder)
        if cls.exists(folder):
            return cls.load(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "private").mkdir(mode=0o700, exist_ok=True)
        os.chmod(folder / "private", 0o700)
        crl_dir = (folder / "crl").resolve()
        crl_url = crl_url or (crl_dir / "nca.crl").as_uri()
        root_crl_url = root_crl_url or (crl_dir / "root.crl").as_uri()
        now = _now()

        root_key = generate_key(key)
        root_subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tanba Development"),
            x509.NameAttribute(NameOID.COMMON_NAME, root_name),
        ])
        root = (
            x509.CertificateBuilder().subject_name(root_subject).issuer_name(root_subject)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=20 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_key_usage({"key_cert_sign", "crl_sign"}), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256())
        )
        issuing_key = generate_key(key)
        issuing_subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tanba Development"),
            x509.NameAttribute(NameOID.COMMON_NAME, issuing_name),
        ])
        issuing = (
            x509.CertificateBuilder().subject_name(issuing_subject).issuer_name(root_subject)
            .public_key(issuing_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=10 * 365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage({"key_cert_sign", "crl_sign"}), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(issuing_key.public_key()), critical=False)
            .add_extension(_authority_key_id(root), critical=False)
            .add_extension(_distribution_point(root_crl_url), critical=False)
            .sign(root_key, hashes.SHA256())
        )

        password = secrets.token_urlsafe(32).encode()
        _write_private(folder / "private" / "ca-password", password)
        encryption = serialization.BestAvailableEncryption(password)
        for name, private_key in (("root", root_key), ("nca", issuing_key)):
            _write_private(folder / "private" / f"{name}.key.pem", private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
        _write_public(folder / "trust" / "root.crt", root.public_bytes(serialization.Encoding.PEM))
        _write_public(folder / "trust" / "nca.crt", issuing.public_bytes(serialization.Encoding.PEM))
        _write_public(folder / "revoked.json", json.dumps({"crl_number": 0, "revoked": []}, indent=2).encode())
        ca = cls(folder, root, root_key, issuing, issuing_key, crl_url)
        ca.crl(next_update=initial_crl_validity)
        # Written last: a folder without ca.json is an unfinished creation and is created again.
        _write_public(folder / "ca.json", json.dumps(
            {"version": 1, "crl_url": crl_url, "root_crl_url": root_crl_url, "created": now.isoformat()},
            indent=2).encode())
        return ca

    @classmethod
    def load(cls, folder: Path | str) -> "DevelopmentCA":
        folder = Path(folder)
        if not cls.exists(folder):
            raise PKIError(f"no development CA in {folder} (create one with `tanba pki init`)")
        meta = json.loads((folder / "ca.json").read_text(encoding="utf-8"))
        password = (folder / "private" / "ca-password").read_bytes()
        keys = {}
        for name in ("root", "nca"):
            loaded = serialization.load_pem_private_key(
                (folder / "private" / f"{name}.key.pem").read_bytes(), password)
            if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise PKIError(f"unexpected key type in {name}.key.pem")
            keys[name] = loaded
        root = x509.load_pem_x509_certificate((folder / "trust" / "root.crt").read_bytes())
        issuing = x509.load_pem_x509_certificate((folder / "trust" / "nca.crt").read_bytes())
        return cls(folder, root, keys["root"], issuing, keys["nca"], meta["crl_url"])

    # --- issuing ---
    def issue(
        self, common_name: str, iin: str | None, bin: str | None = None, organization: str | None = None, *,
        surname: str | None = None, given_name: str | None = None,
        key: KeyAlgorithm | str = KeyAlgorithm.RSA, private_key: PrivateKey | None = None,
        days: int = 365, not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
        non_repudiation: bool = False, email_protection: bool = False,
        key_usage: Collection[str] | None = None, extended_key_usage: Collection[x509.ObjectIdentifier] | None = None,
        crl_url: str | None = None,
    ) -> IssuedCertificate:
        """Issue a person's certificate (with ``bin``/``organization``: an employee of a legal entity).

        ``key_usage`` (names as in ``x509.KeyUsage``) and ``extended_key_usage`` override the NCA-like
        defaults (digitalSignature [+ nonRepudiation]; clientAuth [+ emailProtection]); an empty
        ``extended_key_usage`` leaves the extension out. ``not_before``/``not_after`` override ``days``,
        so tests can make expired or not-yet-valid certificates. ``private_key`` reuses a key.
        """
        private_key = private_key or generate_key(key)
        now = _now()
        start = not_before or now - BACKDATE
        end = not_after or start + dt.timedelta(days=days)
        key_usage, extended_key_usage = _default_usages(non_repudiation, email_protection, key_usage,
                                                        extended_key_usage)
        builder = (
            x509.CertificateBuilder()
            .subject_name(participant_name(common_name, iin, bin, organization, surname, given_name))
            .issuer_name(self.certificate.subject).public_key(private_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        )
        builder = _end_entity_extensions(builder, private_key, key_usage, extended_key_usage)
        builder = builder.add_extension(_authority_key_id(self.certificate), critical=False)
        builder = builder.add_extension(_distribution_point(crl_url or self.crl_url), critical=False)
        certificate = builder.sign(self.key, hashes.SHA256())
        with (self.folder / "issued.jsonl").open("a", encoding="utf-8") as log:
            log.write(json.dumps({
                "serial": format(certificate.serial_number, "x"), "subject": certificate.subject.rfc4514_string(),
                "not_before": start.isoformat(), "not_after": end.isoformat(), "issued": now.isoformat(),
            }, ensure_ascii=False) + "\n")
        return IssuedCertificate(certificate, private_key, self.chain)

    def issued_serials(self) -> set[int]:
        path = self.folder / "issued.jsonl"
        if not path.is_file():
            return set()
        return {int(json.loads(line)["serial"], 16) for line in path.read_text(encoding="utf-8").splitlines() if line}

    # --- revocation ---
    def _revocations(self) -> dict[str, Any]:
        return dict(json.loads((self.folder / "revoked.json").read_text(encoding="utf-8")))

    def revoke(
        self, serial: int, reason: x509.ReasonFlags = x509.ReasonFlags.unspecified,
        revoked_at: dt.datetime | None = None,
    ) -> bool:
        """Record a revocation (the issuing CA's own serial goes on the root's CRL). False if already revoked.

        The CRL files change only at the next :meth:`crl`.
        """
        state = self._revocations()
        serial_hex = format(serial, "x")
        if any(entry["serial"] == serial_hex for entry in state["revoked"]):
            return False
        issuer = "root" if serial == self.certificate.serial_number else "nca"
        state["revoked"].append({
            "serial": serial_hex, "reason": reason.value, "issuer": issuer,
            "revoked_at": (revoked_at or _now()).isoformat(),
        })
        _write_public(self.folder / "revoked.json", json.dumps(state, indent=2).encode())
        return True

    def crl(self, next_update: dt.datetime | dt.timedelta = DEFAULT_CRL_VALIDITY,
            this_update: dt.datetime | None = None) -> bytes:
        """Write fresh CRLs of both CAs (``crl/nca.crl``, ``crl/root.crl``, DER); returns the issuing CA's.

        A ``next_update`` in the past makes a stale CRL (for tests of fail-closed behaviour).
        """
        this_update = this_update or _now() - BACKDATE
        if isinstance(next_update, dt.timedelta):
            next_update = this_update + BACKDATE + next_update
        state = self._revocations()
        state["crl_number"] = int(state["crl_number"]) + 1
        ders = {}
        for issuer, certificate, key in (("root", self.root_certificate, self.root_key),
                                         ("nca", self.certificate, self.key)):
            builder = (
                x509.CertificateRevocationListBuilder().issuer_name(certificate.subject)
                .last_update(this_update).next_update(next_update)
                .add_extension(x509.CRLNumber(state["crl_number"]), critical=False)
                .add_extension(_authority_key_id(certificate), critical=False)
            )
            for entry in state["revoked"]:
                if entry["issuer"] != issuer:
                    continue
                revoked = (
                    x509.RevokedCertificateBuilder().serial_number(int(entry["serial"], 16))
                    .revocation_date(dt.datetime.fromisoformat(entry["revoked_at"]))
                )
                reason = x509.ReasonFlags(entry["reason"])
                if reason is not x509.ReasonFlags.unspecified:  # RFC 5280: omit rather than say unspecified
                    revoked = revoked.add_extension(x509.CRLReason(reason), critical=False)
                builder = builder.add_revoked_certificate(revoked.build())
            ders[issuer] = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        _write_public(self.root_crl_path, ders["root"])
        _write_public(self.crl_path, ders["nca"])
        _write_public(self.folder / "revoked.json", json.dumps(state, indent=2).encode())
        return ders["nca"]


def _authority_key_id(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _distribution_point(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint(
        full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, reasons=None, crl_issuer=None)])


# --- key files -------------------------------------------------------------------------------------------
def to_pkcs12(certificate: x509.Certificate, key: PrivateKey, chain: Iterable[x509.Certificate], password: str,
              friendly_name: str | None = None) -> bytes:
    """A PKCS#12 key file (AES-256 PBES2, as modern tools write them) protected by ``password``."""
    if not password:
        raise ValueError("a key file needs a password")
    name = (friendly_name or certificate.subject.rfc4514_string()).encode()
    return pkcs12.serialize_key_and_certificates(
        name, key, certificate, list(chain), serialization.BestAvailableEncryption(password.encode()))


def load_pkcs12(data: bytes, password: str) -> IssuedCertificate:
    try:
        loaded = pkcs12.load_pkcs12(data, password.encode())
    except ValueError as exc:
        raise Pkcs12PasswordError("cannot open the PKCS#12 file: wrong password or damaged file") from exc
    if loaded.key is None or loaded.cert is None:
        raise PKIError("the PKCS#12 file holds no private key and certificate")
    if not isinstance(loaded.key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PKIError(f"unsupported key type in the PKCS#12 file: {type(loaded.key).__name__}")
    return IssuedCertificate(loaded.cert.certificate, loaded.key, tuple(c.certificate for c in loaded.additional_certs))


# --- client-side signing (participants' tools and tests) -------------------------------------------------
def _signature_builder(
    certificate: x509.Certificate, key: PrivateKey, data: bytes, chain: Sequence[x509.Certificate],
) -> pkcs7.PKCS7SignatureBuilder:
    builder = pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(certificate, key, hashes.SHA256())
    for ca in chain:  # only after add_signer; the signer's certificate is always included (never NoCerts)
        builder = builder.add_certificate(ca)
    return builder


def sign_attached(certificate: x509.Certificate, key: PrivateKey, data: bytes,
                  chain: Sequence[x509.Certificate] = ()) -> bytes:
    """DER CMS SignedData carrying ``data`` (the login challenge)."""
    return _signature_builder(certificate, key, data, chain).sign(
        serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])  # Binary: no LF→CRLF before signing


def sign_detached(certificate: x509.Certificate, key: PrivateKey, data: bytes,
                  chain: Sequence[x509.Certificate] = ()) -> bytes:
    """DER CMS SignedData over ``data`` without carrying it (a document signature)."""
    return _signature_builder(certificate, key, data, chain).sign(
        serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.DetachedSignature])


# --- demo participants -----------------------------------------------------------------------------------
SURNAMES = ("АХМЕТОВ", "ЖАКСЫБЕКОВ", "НУРЛАНОВ", "САПАРОВ", "ТОКАЕВ", "ОМАРОВ", "КАСЫМОВ", "БЕКОВ")
GIVEN_NAMES = ("АЙДАР", "ЕРЛАН", "ДАУЛЕТ", "АСЕЛЬ", "ГУЛЬНАРА", "МАРАТ", "ДИНАРА", "САУЛЕ")
FEMALE = frozenset({"АСЕЛЬ", "ГУЛЬНАРА", "ДИНАРА", "САУЛЕ"})
OPERATOR_BIN_STEM = "24014000000"
AUTHORITY_BIN_STEM = "24014000001"


def demo_iin(index: int, female: bool = False) -> str:
    """A valid IIN (check digit included) for the ``index``-th demo person, born 1970–1998."""
    from api.domain.participants.rules import check_digit

    birth = dt.date(1970, 1, 1) + dt.timedelta(days=(397 * index) % (29 * 365))
    century_sex = "4" if female else "3"  # born in the 20th century
    for serial in range(index * 10 + 1, index * 10 + 10):
        stem = f"{birth:%y%m%d}{century_sex}{serial:04d}"
        digit = check_digit(stem)
        if digit is not None:
            return stem + str(digit)
    raise PKIError("no valid IIN found")  # pragma: no cover - one of nine serials always works


def demo_bin(stem: str) -> str:
    from api.domain.participants.rules import check_digit

    digit = check_digit(stem)
    if digit is None:
        raise PKIError(f"no BIN can end {stem}")
    return stem + str(digit)


def _register_names(register_file: Path) -> dict[str, str]:
    with register_file.open(encoding="utf-8", newline="") as f:
        return {row["bin"]: row.get("name_ru") or row.get("name_kk") or "" for row in csv.DictReader(f, delimiter=";")}


def issue_demo_key_files(
    ca: DevelopmentCA, participants_file: Path, register_file: Path, out_dir: Path, *, force: bool = False,
) -> list[dict[str, Any]]:
    """One PKCS#12 file per demo participant (RSA and ECDSA alternately) plus an operator's, each with a
    generated password in ``<name>.password`` (owner-only), and ``manifest.json`` describing them.

    Existing key files are kept unless ``force``; returns the manifest entries.
    """
    wanted = json.loads(participants_file.read_text(encoding="utf-8"))["participants"]
    names = _register_names(register_file)
    people: list[dict[str, Any]] = []
    for participant in wanted:
        people.append({"file": participant["bin"], "role": "participant", "bin": participant["bin"],
                       "organization": names.get(participant["bin"]) or f"BIN {participant['bin']}"})
    people.append({"file": "operator", "role": "operator", "bin": demo_bin(OPERATOR_BIN_STEM),
                   "organization": "Оператор Tanba"})
    people.append({"file": "authority", "role": "authority", "bin": demo_bin(AUTHORITY_BIN_STEM),
                   "organization": "Комитет государственных доходов (демо)"})
    manifest_path = out_dir / "manifest.json"
    previous = {e["file"]: e for e in json.loads(manifest_path.read_text(encoding="utf-8"))} \
        if manifest_path.is_file() else {}
    manifest = []
    for index, person in enumerate(people):
        key_file = out_dir / f"{person['file']}.p12"
        if not force and key_file.is_file() and person["file"] in previous:
            manifest.append(previous[person["file"]])
            continue
        given = GIVEN_NAMES[index % len(GIVEN_NAMES)]
        surname = SURNAMES[(index // len(GIVEN_NAMES) + index) % len(SURNAMES)]
        female = given in FEMALE
        if female:
            surname += "А"
        algorithm = KeyAlgorithm.RSA if index % 2 == 0 else KeyAlgorithm.EC
        iin = demo_iin(index, female)
        issued = ca.issue(f"{surname} {given}", iin, person["bin"], person["organization"], surname=surname,
                          given_name=given, key=algorithm, non_repudiation=True, email_protection=True)
        password = secrets.token_urlsafe(12)
        _write_private(key_file, to_pkcs12(issued.certificate, issued.private_key, issued.chain, password))
        _write_private(key_file.with_suffix(".password"), password.encode())
        manifest.append({
            **person, "key_file": key_file.name, "password_file": key_file.with_suffix(".password").name,
            "iin": iin, "common_name": f"{surname} {given}", "key": algorithm.value, "serial": issued.serial_hex,
            "not_after": issued.certificate.not_valid_after_utc.isoformat(),
        })
    _write_public(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
    return manifest


# --- tanba pki ... ---------------------------------------------------------------------------------------
def _ca_dir(settings: Settings, args: argparse.Namespace) -> Path:
    return Path(args.dir) if getattr(args, "dir", None) else settings.pki_path


def cmd_pki_init(settings: Settings, args: argparse.Namespace) -> int:
    folder = _ca_dir(settings, args)
    existed = DevelopmentCA.exists(folder)
    ca = DevelopmentCA.create(folder, crl_url=args.crl_url, key=args.key)
    print(f"Development CA {'already in' if existed else 'created in'} {folder}")
    print(f"  trust directory: {ca.trust_dir}")
    print(f"  CRL files:       {ca.root_crl_path}  {ca.crl_path}")
    return 0


def cmd_pki_issue(settings: Settings, args: argparse.Namespace) -> int:
    ca = DevelopmentCA.load(_ca_dir(settings, args))
    for label, value in (("IIN", args.iin), ("BIN", args.bin)):
        if value is not None and not (len(value) == 12 and value.isascii() and value.isdigit()):
            print(f"error: the {label} must be 12 digits, got {value!r}")
            return 2
    issued = ca.issue(args.cn, args.iin, args.bin, args.org, surname=args.surname, given_name=args.given_name,
                      key=args.key, days=args.days, non_repudiation=True)
    out = Path(args.out)
    password = args.password or secrets.token_urlsafe(12)
    _write_private(out, to_pkcs12(issued.certificate, issued.private_key, issued.chain, password))
    print(f"Issued serial {issued.serial_hex} to {issued.certificate.subject.rfc4514_string()}")
    print(f"  key file: {out}")
    if not args.password:
        _write_private(out.with_suffix(".password"), password.encode())
        print(f"  password: {out.with_suffix('.password')}")
    return 0


def cmd_pki_revoke(settings: Settings, args: argparse.Namespace) -> int:
    ca = DevelopmentCA.load(_ca_dir(settings, args))
    try:
        serial = int(args.serial.removeprefix("0x").replace(":", ""), 16)
    except ValueError:
        print(f"error: {args.serial!r} is not a hexadecimal serial number")
        return 2
    if serial not in ca.issued_serials() and serial != ca.certificate.serial_number:
        print(f"error: this CA issued no certificate with serial {serial:x}")
        return 2
    changed = ca.revoke(serial, x509.ReasonFlags(args.reason))
    ca.crl(next_update=dt.timedelta(days=args.days))
    print(f"Serial {serial:x} {'revoked' if changed else 'was already revoked'}; "
          f"CRLs rewritten in {ca.crl_path.parent}")
    return 0


def cmd_pki_crl(settings: Settings, args: argparse.Namespace) -> int:
    ca = DevelopmentCA.load(_ca_dir(settings, args))
    ca.crl(next_update=dt.timedelta(days=args.days))
    print(f"CRLs valid for {args.days} days: {ca.root_crl_path}  {ca.crl_path}")
    return 0


def cmd_pki_demo(settings: Settings, args: argparse.Namespace) -> int:
    folder = _ca_dir(settings, args)
    ca = DevelopmentCA.create(folder)
    participants_file = Path(args.participants_file or settings.demo_data_dir / "participants.json")
    register_file = Path(args.register or settings.demo_data_dir / "business_register.csv")
    out_dir = Path(args.out_dir) if args.out_dir else folder / "demo"
    manifest = issue_demo_key_files(ca, participants_file, register_file, out_dir, force=args.force)
    print(f"{len(manifest)} demo key files (PKCS#12, password beside each) in {out_dir}; see manifest.json")
    return 0


def add_pki_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add ``pki init|issue|revoke|crl|demo`` to the ``tanba`` command; each sets ``func(settings, args)``."""
    pki = subparsers.add_parser("pki", help="development certificate authority and key files").add_subparsers(
        dest="pki_command", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = pki.add_parser(name, help=help_text)
        parser.add_argument("--dir", help="CA folder (default: the settings' pki_dir, else VAR_DIR/pki)")
        return parser

    init = command("init", "create the development CA (idempotent)")
    init.add_argument("--crl-url", help="CRL distribution point written into certificates (default: file URL)")
    init.add_argument("--key", choices=[k.value for k in KeyAlgorithm], default=KeyAlgorithm.RSA.value)
    init.set_defaults(func=cmd_pki_init)

    issue = command("issue", "issue a person's certificate into a PKCS#12 key file")
    issue.add_argument("--cn", required=True, help="full name")
    issue.add_argument("--iin", required=True, help="the person's IIN (12 digits)")
    issue.add_argument("--bin", help="the legal entity's BIN (12 digits)")
    issue.add_argument("--org", help="the legal entity's name")
    issue.add_argument("--surname")
    issue.add_argument("--given-name")
    issue.add_argument("--key", choices=[k.value for k in KeyAlgorithm], default=KeyAlgorithm.RSA.value)
    issue.add_argument("--password", help="key file password (default: generated, written beside the file)")
    issue.add_argument("--out", required=True, help="the PKCS#12 file to write")
    issue.add_argument("--days", type=int, default=365)
    issue.set_defaults(func=cmd_pki_issue)

    revoke = command("revoke", "revoke a certificate and rewrite the CRLs")
    revoke.add_argument("serial", help="serial number in hexadecimal")
    revoke.add_argument("--reason", default=x509.ReasonFlags.unspecified.value,
                        choices=[r.value for r in x509.ReasonFlags])
    revoke.add_argument("--days", type=int, default=DEFAULT_CRL_VALIDITY.days, help="CRL validity in days")
    revoke.set_defaults(func=cmd_pki_revoke)

    crl = command("crl", "write fresh CRLs")
    crl.add_argument("--days", type=int, default=DEFAULT_CRL_VALIDITY.days, help="CRL validity in days")
    crl.set_defaults(func=cmd_pki_crl)

    demo = command("demo", "key files for the demo participants and an operator")
    demo.add_argument("--participants-file", help="default: the demo data's participants.json")
    demo.add_argument("--register", help="business register CSV (default: the demo data's)")
    demo.add_argument("--out-dir", help="default: CA folder/demo")
    demo.add_argument("--force", action="store_true", help="issue again even where key files exist")
    demo.set_defaults(func=cmd_pki_demo)
