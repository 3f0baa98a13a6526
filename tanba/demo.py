"""A small demo data set: a business register file and the participants registered from it."""

import getpass
import json
import socket
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.domain.participants.register import import_register
from api.domain.participants.services import upsert_participants
from tanba.settings import Settings
from warehouse.database import Database
from warehouse.models import BusinessRegisterEntry

OPERATOR = {"tanba.role": "operator"}


def operator_audit(session: Session, action: str, object_id: str | None = None) -> None:
    """The audit row of an operator's command-line action, in the same transaction as its effect."""
    session.execute(
        text("SELECT ops.audit_append(:rid, NULL, NULL, 'operator', :host, 'CLI', :route, :action, :object, 0)"),
        {"rid": str(uuid.uuid4()), "host": f"local:{getpass.getuser()}@{socket.gethostname()}",
         "route": "tanba " + action.split(" ", maxsplit=1)[0], "action": action, "object": object_id},
    )


def load_demo(api_db: Database, demo_dir: Path, progress: Callable[[str], None] = print) -> None:
    register_file = demo_dir / "business_register.csv"
    with api_db.session(OPERATOR) as session:
        report = import_register(session, register_file.name, register_file.read_bytes())
        operator_audit(session, "register.import demo", str(report.id))
    progress(f"  business register: {report.total} rows, {report.inserted} new, {report.updated} updated, "
             f"{report.unchanged} unchanged, {len(report.rejected)} rejected")
    wanted = json.loads((demo_dir / "participants.json").read_text(encoding="utf-8"))["participants"]
    with api_db.session(OPERATOR) as session:
        register = {
            e.bin: e for e in session.scalars(
                select(BusinessRegisterEntry).where(BusinessRegisterEntry.bin.in_([p["bin"] for p in wanted]))
            )
        }
        rows = [
            {"bin": p["bin"], "name_kk": register[p["bin"]].name_kk, "name_ru": register[p["bin"]].name_ru,
             "types": p["types"], "state": p["state"], "kato": register[p["bin"]].kato}
            for p in wanted
        ]
        count = upsert_participants(session, rows)
        operator_audit(session, "participants.upsert demo", str(count))
        grants = json.loads((demo_dir / "role_grants.json").read_text(encoding="utf-8"))["role_grants"]
        for grant in grants:
            session.execute(
                text("INSERT INTO ops.role_grant (bin, role, granted_by) "
                     "SELECT CAST(:bin AS char(12)), CAST(:role AS varchar(16)), 'demo' WHERE NOT EXISTS "
                     "(SELECT 1 FROM ops.role_grant WHERE bin = :bin AND role = :role AND revoked_at IS NULL)"),
                {"bin": grant["bin"], "role": grant["role"]},
            )
        operator_audit(session, "roles.grant demo", str(len(grants)))
    progress(f"  participants: {count} registered; roles: {len(grants)} demo grants")


def prepare_development_pki(settings: Settings, with_demo_keys: bool, progress: Callable[[str], None] = print) -> None:
    """The development CA (with fresh CRLs) and the demo key files, unless real trust anchors are configured."""
    from tanba.pki import DevelopmentCA, issue_demo_key_files

    if settings.trust_dir is not None:
        progress("  trust anchors configured (TANBA_TRUST_DIR): no development CA")
        return
    ca = DevelopmentCA.create(settings.pki_path)
    ca.crl()  # fresh CRLs at every start: a development CRL never goes stale under a running platform
    progress(f"  development CA in {ca.folder} (trusted: {ca.trust_dir})")
    if with_demo_keys:
        manifest = issue_demo_key_files(ca, settings.demo_data_dir / "participants.json",
                                        settings.demo_data_dir / "business_register.csv", ca.folder / "demo")
        progress(f"  {len(manifest)} demo key files in {ca.folder / 'demo'} (password beside each)")
