"""The benchmarks' own database (tanba_bench) with reference and demo data, and their development CA."""

from collections.abc import Callable
from pathlib import Path

from tanba.settings import Settings
from warehouse.roles import DatabaseUrls

PARTICIPANT = "011040197726"  # an ACTIVE demo participant (manufacturer)
BENCH_DATABASE = "tanba_bench"


def prepare_bench_database(settings: Settings, progress: Callable[[str], None]) -> DatabaseUrls:
    from tanba.demo import load_demo
    from warehouse import migrate
    from warehouse.database import Database, resolve_urls
    from warehouse.reference.loader import load_reference_data
    from warehouse.roles import bootstrap, database_urls

    base = resolve_urls(settings)
    urls = database_urls(base.admin, BENCH_DATABASE, settings.credentials_path)
    bootstrap(urls)
    migrate.upgrade(urls.sqlalchemy("owner"))
    owner = Database.for_role(urls, "owner", pool_size=1)
    with owner.session() as session:
        load_reference_data(session, settings.reference_data_dir)
    owner.dispose()
    api_db = Database.for_role(urls, "api", pool_size=1)
    load_demo(api_db, settings.demo_data_dir, progress=lambda _: None)
    api_db.dispose()
    progress(f"  database {BENCH_DATABASE} ready")
    return urls


def bench_pki(settings: Settings) -> Path:
    from tanba.pki import DevelopmentCA

    pki = settings.var_dir / "bench" / "pki"
    DevelopmentCA.create(pki).crl()
    return pki
