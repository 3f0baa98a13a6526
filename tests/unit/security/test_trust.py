"""The trust store: which certificate files it trusts, which CRLs it believes (verified, in scope, fresh),
where it fetches them from, and that it fails closed when it has nothing current."""

import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from api.security.signatures import CmsSignatureVerifier, SignatureRefused
from api.security.trust import TrustStore
from tanba.pki import DevelopmentCA, IssuedCertificate, PrivateKey, sign_attached
from tests.unit.security.helpers import BIN, COMMON_NAME, IIN, ORGANIZATION, ago, ahead, login

CHALLENGE = b"challenge"


def login_code(store: TrustStore, person: IssuedCertificate) -> str:
    signature = sign_attached(person.certificate, person.private_key, CHALLENGE, person.chain)
    try:
        login(CmsSignatureVerifier(store), signature, CHALLENGE)
    except SignatureRefused as refused:
        return refused.code
    return "accepted"


@pytest.fixture
def other(make_ca: Callable[..., DevelopmentCA]) -> DevelopmentCA:
    return make_ca()


@pytest.fixture
def person(other: DevelopmentCA, ec_key: PrivateKey) -> IssuedCertificate:
    return other.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)


def test_certificates_are_read_as_pem_der_and_bundles_and_nothing_else_is_trusted(
    tmp_path: Path, other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "bundle.pem").write_bytes(  # both CAs in one PEM file
        other.root_certificate.public_bytes(Encoding.PEM) + other.certificate.public_bytes(Encoding.PEM))
    (trust / "nca.cer").write_bytes(other.certificate.public_bytes(Encoding.DER))  # a duplicate, in DER
    (trust / "leaf.crt").write_bytes(person.certificate.public_bytes(Encoding.PEM))  # not a CA: ignored
    (trust / "key.pem").write_bytes((other.folder / "private" / "nca.key.pem").read_bytes())  # not a certificate
    (trust / "notes.txt").write_text("not read")
    store = TrustStore(trust, other.crl_files)
    assert [c.subject.native["common_name"] for c in store.roots] == ["Tanba Development Root CA"]
    assert [c.subject.native["common_name"] for c in store.intermediates] == ["Tanba Development NCA"]
    assert login_code(store, person) == "accepted"


def test_without_the_issuing_ca_in_the_trust_directory_the_chain_in_the_signature_suffices_but_crls_do_not(
    tmp_path: Path, other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    """The issuing CA's CRL cannot be verified without its certificate in the trust directory: fail closed."""
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.crt").write_bytes(other.root_certificate.public_bytes(Encoding.PEM))
    store = TrustStore(trust, other.crl_files)
    assert len(store.revocation_lists) == 1
    assert login_code(store, person) == "signature.crl_unavailable"


def test_a_crl_signed_by_another_key_under_the_same_name_is_not_believed(
    make_ca: Callable[..., DevelopmentCA], other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    forger = make_ca("forger")  # same CA names, other keys
    assert forger.certificate.subject == other.certificate.subject
    store = TrustStore(other.trust_dir, [other.root_crl_path, forger.crl_path])
    assert [crl.issuer for crl in store.revocation_lists] == [other.root_certificate.subject.rfc4514_string()]
    assert login_code(store, person) == "signature.crl_unavailable"


def test_file_urls_and_pem_crls_are_read(
    tmp_path: Path, other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    pem = tmp_path / "nca.pem.crl"
    crl = x509.load_der_x509_crl(other.crl_path.read_bytes())
    pem.write_bytes(crl.public_bytes(Encoding.PEM))
    store = TrustStore(other.trust_dir, [other.root_crl_path.as_uri(), str(pem)])
    assert len(store.revocation_lists) == 2
    assert login_code(store, person) == "accepted"


@pytest.fixture
def crl_server(other: DevelopmentCA) -> Iterator[tuple[str, Callable[[], None]]]:
    """An HTTP server publishing the CA's CRL folder; the second item stops it."""
    directory = str(other.crl_path.parent)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=directory, **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if not stopped:
            server.shutdown()
            server.server_close()
            stopped = True

    yield f"http://127.0.0.1:{server.server_address[1]}", stop
    stop()


def test_crls_are_fetched_over_http_and_kept_when_the_server_goes_away(
    crl_server: tuple[str, Callable[[], None]], other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    base, stop = crl_server
    store = TrustStore(other.trust_dir, [f"{base}/root.crl", f"{base}/nca.crl"], timeout=2)
    assert len(store.revocation_lists) == 2
    assert login_code(store, person) == "accepted"
    stop()
    store.reload()  # both fetches fail: the CRLs loaded before are still current
    assert len(store.revocation_lists) == 2
    assert login_code(store, person) == "accepted"
    fresh = TrustStore(other.trust_dir, [f"{base}/root.crl", f"{base}/nca.crl"], timeout=2)
    assert fresh.revocation_lists == ()
    assert login_code(fresh, person) == "signature.crl_unavailable"


def test_an_unreachable_or_missing_source_does_not_stop_the_others(
    other: DevelopmentCA, person: IssuedCertificate, tmp_path: Path,
) -> None:
    store = TrustStore(other.trust_dir, [str(tmp_path / "absent.crl"), *map(str, other.crl_files)])
    assert len(store.revocation_lists) == 2
    assert login_code(store, person) == "accepted"


def _extra_crl(ca: DevelopmentCA, extension: x509.ExtensionType, path: Path) -> Path:
    builder = (
        x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
        .last_update(ago(minutes=5)).next_update(ahead(days=1)).add_extension(extension, critical=True)
    )
    path.write_bytes(builder.sign(ca.key, hashes.SHA256()).public_bytes(Encoding.DER))
    return path


def test_a_delta_crl_alone_is_not_enough(other: DevelopmentCA, person: IssuedCertificate, tmp_path: Path) -> None:
    delta = _extra_crl(other, x509.DeltaCRLIndicator(1), tmp_path / "delta.crl")
    store = TrustStore(other.trust_dir, [other.root_crl_path, delta])
    assert login_code(store, person) == "signature.crl_unavailable"


def test_a_crl_partition_covers_only_certificates_that_point_to_it(
    other: DevelopmentCA, person: IssuedCertificate, tmp_path: Path,
) -> None:
    def partition(url: str, name: str) -> Path:
        return _extra_crl(other, x509.IssuingDistributionPoint(
            full_name=[x509.UniformResourceIdentifier(url)], relative_name=None, only_contains_user_certs=True,
            only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=False,
            only_contains_attribute_certs=False), tmp_path / name)

    elsewhere = partition("http://crl.example/part2.crl", "part2.crl")
    assert login_code(TrustStore(other.trust_dir, [other.root_crl_path, elsewhere]), person) == \
        "signature.crl_unavailable"
    own = partition(other.crl_url, "part1.crl")
    assert login_code(TrustStore(other.trust_dir, [other.root_crl_path, own]), person) == "accepted"


def test_a_crl_issued_in_the_future_is_not_used(other: DevelopmentCA, person: IssuedCertificate) -> None:
    other.crl(this_update=ahead(hours=1), next_update=ahead(days=2))
    assert login_code(TrustStore(other.trust_dir, other.crl_files), person) == "signature.crl_unavailable"


def test_a_crl_that_becomes_stale_is_refused_without_a_reload(
    other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    other.crl(next_update=dt.timedelta(seconds=1))
    store = TrustStore(other.trust_dir, other.crl_files)
    assert login_code(store, person) == "accepted"
    import time

    time.sleep(1.2)
    assert login_code(store, person) == "signature.crl_unavailable"


def test_an_empty_or_missing_trust_directory_trusts_nobody(
    tmp_path: Path, other: DevelopmentCA, person: IssuedCertificate,
) -> None:
    assert login_code(TrustStore(tmp_path / "absent", other.crl_files), person) == "signature.untrusted"


def test_an_older_crl_does_not_replace_a_newer_one(other: DevelopmentCA, person: IssuedCertificate) -> None:
    """A CRL fetched over plain HTTP can be replayed until its nextUpdate: never go back in time."""
    old = other.crl_path.read_bytes()
    other.revoke(person.certificate.serial_number)
    other.crl()
    store = TrustStore(other.trust_dir, other.crl_files)
    assert login_code(store, person) == "signature.revoked"
    other.crl_path.write_bytes(old)
    store.reload()
    assert login_code(store, person) == "signature.revoked"
