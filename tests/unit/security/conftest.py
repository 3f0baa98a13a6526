"""A real test PKI for the security tests: keys generated once per session (RSA keygen is slow), CAs in
temporary folders, and a verifier over the trusted CA's trust directory and CRL files."""

from collections.abc import Callable
from pathlib import Path

import pytest

from api.security.signatures import CmsSignatureVerifier
from api.security.trust import TrustStore
from tanba.pki import DevelopmentCA, IssuedCertificate, KeyAlgorithm, PrivateKey, generate_key
from tests.unit.security.helpers import BIN, COMMON_NAME, IIN, ORGANIZATION


@pytest.fixture(scope="session")
def rsa_key() -> PrivateKey:
    return generate_key(KeyAlgorithm.RSA)


@pytest.fixture(scope="session")
def ec_key() -> PrivateKey:
    return generate_key(KeyAlgorithm.EC)


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> DevelopmentCA:
    """The trusted CA (RSA, like the NCA). Tests that change its CRLs must reload ``store`` afterwards."""
    return DevelopmentCA.create(tmp_path_factory.mktemp("pki") / "ca")


@pytest.fixture(scope="session")
def unknown_ca(tmp_path_factory: pytest.TempPathFactory) -> DevelopmentCA:
    return DevelopmentCA.create(tmp_path_factory.mktemp("pki") / "unknown", key=KeyAlgorithm.EC,
                                root_name="Somebody Else Root CA", issuing_name="Somebody Else CA")


@pytest.fixture(scope="session")
def store(ca: DevelopmentCA) -> TrustStore:
    return TrustStore(ca.trust_dir, ca.crl_files)


@pytest.fixture(scope="session")
def verifier(store: TrustStore) -> CmsSignatureVerifier:
    return CmsSignatureVerifier(store)


@pytest.fixture(scope="session")
def rsa_person(ca: DevelopmentCA, rsa_key: PrivateKey) -> IssuedCertificate:
    return ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, surname="АХМЕТОВ", given_name="АЙДАР", private_key=rsa_key)


@pytest.fixture(scope="session")
def ec_person(ca: DevelopmentCA, ec_key: PrivateKey) -> IssuedCertificate:
    return ca.issue(COMMON_NAME, IIN, BIN, ORGANIZATION, private_key=ec_key)


@pytest.fixture
def make_ca(tmp_path: Path) -> Callable[..., DevelopmentCA]:
    """A throwaway ECDSA CA (fast) for tests that spoil its CRLs or revoke its issuing CA."""

    def make(name: str = "ca") -> DevelopmentCA:
        return DevelopmentCA.create(tmp_path / name, key=KeyAlgorithm.EC)

    return make
