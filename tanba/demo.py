"""A small demo data set: a business register file and the participants registered from it."""

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from api.domain.participants.register import import_register
from api.domain.participants.services import upsert_participants
from warehouse.database import Database
from warehouse.models import BusinessRegisterEntry


def load_demo(api_db: Database, demo_dir: Path, progress: Callable[[str], None] = print) -> None:
    register_file = demo_dir / "business_register.csv"
    with api_db.session() as session:
        report = import_register(session, register_file.name, register_file.read_bytes())
    progress(f"  business register: {report.total} rows, {report.inserted} new, {report.updated} updated, "
             f"{report.unchanged} unchanged, {len(report.rejected)} rejected")
    wanted = json.loads((demo_dir / "participants.json").read_text(encoding="utf-8"))["participants"]
    with api_db.session() as session:
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
    progress(f"  participants: {count} registered")
