"""Shapes of the reference data endpoints."""

import datetime as dt
from typing import Any

import msgspec


class Names(msgspec.Struct):
    kk: str
    ru: str
    en: str


class DirectorySummary(msgspec.Struct):
    code: str
    name: Names
    label: str  # the name in the caller's language
    version: int
    source_version: str
    entries: int
    loaded_at: dt.datetime
    href: str


class DirectoryList(msgspec.Struct):
    directories: list[DirectorySummary]


class Entry(msgspec.Struct):
    code: str
    name: Names
    label: str
    valid_from: dt.date
    valid_to: dt.date | None
    version: int
    attributes: dict[str, Any]


class Directory(msgspec.Struct):
    code: str
    name: Names
    label: str
    version: int
    source_version: str
    at: dt.date | None
    entries: list[Entry]
