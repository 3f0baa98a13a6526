"""Reading the reference directories for the API."""

import datetime as dt

from sqlalchemy import func, select

from api.domain.reference.schemas import Directory, DirectoryList, DirectorySummary, Entry, Names
from api.faults import Fault, InvalidInput, NotFound
from warehouse.database import Database
from warehouse.models import ReferenceDirectory, ReferenceEntry
from warehouse.reference.queries import entries_stmt


def _label(obj: ReferenceDirectory | ReferenceEntry, language: str) -> str:
    return str(getattr(obj, f"name_{language}"))


def _names(obj: ReferenceDirectory | ReferenceEntry) -> Names:
    return Names(kk=obj.name_kk, ru=obj.name_ru, en=obj.name_en)


async def list_directories(db: Database, language: str, base_path: str) -> DirectoryList:
    today = dt.date.today()
    async with db.async_session() as session:
        directories = (await session.scalars(select(ReferenceDirectory).order_by(ReferenceDirectory.code))).all()
        counts = {}
        for d in directories:
            sub = entries_stmt(d.code, at=today).subquery()
            counts[d.code] = (await session.execute(select(func.count()).select_from(sub))).scalar_one()
    return DirectoryList(directories=[
        DirectorySummary(
            code=d.code, name=_names(d), label=_label(d, language), version=d.version,
            source_version=d.source_version, entries=counts[d.code], loaded_at=d.loaded_at,
            href=f"{base_path}/{d.code}",
        )
        for d in directories
    ])


def parse_at(value: str | None) -> dt.date | None:
    if value is None or value == "all":
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(Fault("field.date", "at", params={"field": "at", "value": value})) from None


async def get_directory(
    db: Database, code: str, language: str, at: str | None, version: int | None
) -> Directory:
    """Entries valid on ``at`` (default today; ``all`` for every entry ever), as of ``version``."""
    day = dt.date.today() if at is None else parse_at(at)
    async with db.async_session() as session:
        directory = await session.get(ReferenceDirectory, code)
        if directory is None:
            known = (await session.scalars(select(ReferenceDirectory.code).order_by(ReferenceDirectory.code))).all()
            raise NotFound(Fault("reference.unknown_directory", "directory",
                                 params={"directory": code, "known": ", ".join(known)}))
        if version is not None and not 1 <= version <= directory.version:
            raise NotFound(Fault("reference.unknown_version", "version",
                                 params={"directory": code, "version": version, "latest": directory.version}))
        entries = (await session.scalars(entries_stmt(code, at=day, version=version))).all()
    return Directory(
        code=directory.code, name=_names(directory), label=_label(directory, language),
        version=version or directory.version, source_version=directory.source_version, at=day,
        entries=[
            Entry(code=e.code, name=_names(e), label=_label(e, language), valid_from=e.valid_from,
                  valid_to=e.valid_to, version=e.version, attributes=e.attributes)
            for e in entries
        ],
    )
