"""Building the signature verifier from the settings: trusted CAs from the trust folder, CRLs from the
configured sources (by default the development CA's CRL files), refreshed in the background."""

import asyncio
import logging
from pathlib import Path
from typing import Annotated

from litestar.params import Dependency

from api.security.signatures import CmsSignatureVerifier, SignatureVerifier
from api.security.trust import TrustStore
from tanba.settings import Settings

log = logging.getLogger("tanba.security")


def crl_sources(settings: Settings) -> list[str]:
    if settings.crl_sources:
        return list(settings.crl_sources)
    crl_dir = settings.pki_path / "crl"
    return [str(p) for p in sorted(Path(crl_dir).glob("*.crl"))]


def build_verifier(settings: Settings) -> CmsSignatureVerifier:
    return CmsSignatureVerifier(TrustStore(settings.trust_path, crl_sources(settings)))


async def refresh_revocation_lists(verifier: CmsSignatureVerifier, every_seconds: float) -> None:
    """Reload the CRLs periodically; a source that fails keeps its last list until that goes stale."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            await asyncio.to_thread(verifier.trust_store.reload)
        except Exception:
            log.exception("reloading the trust store failed")


# The verifier as a route dependency (a Protocol cannot be checked with isinstance, so Litestar skips it).
Verifier = Annotated[SignatureVerifier, Dependency(skip_validation=True)]
