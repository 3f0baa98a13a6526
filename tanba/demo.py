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
    progress(f"  participants: {count} registered")
