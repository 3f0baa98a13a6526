"""Helpers of the end-to-end tests that emit codes: an emission key in the test database, the worker's settings."""

import datetime as dt
from pathlib import Path

from api.domain.codes.keys import MasterKey, create_emission_key
from tanba.settings import Settings
from warehouse.database import Database
from warehouse.roles import DatabaseUrls


def emission_ready(prepared_db: DatabaseUrls, admin_url: str, credentials_path: Path, var_dir: Path,
                   master: str) -> Settings:
    """Create an emission key under ``master`` and return settings with which ``tanba.worker`` runs here."""
    db = Database.for_role(prepared_db, "owner", pool_size=1)
    with db.session() as session:
        session.add(create_emission_key(MasterKey.from_base64(master), set(), dt.datetime.now(dt.UTC), None))
    db.dispose()
    return Settings(database_url=admin_url, database_name=prepared_db.database, credentials_file=credentials_path,
                    var_dir=var_dir, master_key=master)
