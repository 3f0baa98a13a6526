"""SQLAlchemy models of the operational schema ``ops`` and the data-quality schema ``dq``.

The migrations in ``warehouse/migrations`` are the source of truth for the database; a test checks
that these models and the migrated schema agree.
"""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    CHAR,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


# --- reference data (requirement 20) ----------------------------------------------------------------
class ReferenceDirectory(Base):
    """One directory (register, classifier) with its current version."""

    __tablename__ = "reference_directory"
    __table_args__ = {"schema": "ops"}

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_kk: Mapped[str] = mapped_column(Text, nullable=False)
    name_ru: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    source_version: Mapped[str] = mapped_column(Text, nullable=False)
    content_sha256: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    loaded_at: Mapped[dt.datetime] = _now()


class ReferenceEntry(Base):
    """One version of one entry of a directory; the current one has ``valid_to`` null or in the future."""

    __tablename__ = "reference_entry"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        {"schema": "ops"},
    )

    directory: Mapped[str] = mapped_column(
        String(64), ForeignKey("ops.reference_directory.code"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    name_kk: Mapped[str] = mapped_column(Text, nullable=False)
    name_ru: Mapped[str] = mapped_column(Text, nullable=False)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'"))
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)


# --- state business register and participants (requirement 8) ---------------------------------------
class RegisterImport(Base):
    """One import run of the state business register file, with its report."""

    __tablename__ = "register_import"
    __table_args__ = {"schema": "ops"}

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    file_name: Mapped[str] = mapped_column(Text, nullable=False)
    file_sha256: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    started_at: Mapped[dt.datetime] = _now()
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_inserted: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_updated: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_unchanged: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_rejected: Mapped[int] = mapped_column(Integer, nullable=False)
    rejections: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)


class BusinessRegisterEntry(Base):
    """A legal entity or entrepreneur as the state business register knows it."""

    __tablename__ = "business_register_entry"
    __table_args__ = (
        CheckConstraint("bin ~ '^[0-9]{12}$'", name="bin_digits"),
        {"schema": "ops"},
    )

    bin: Mapped[str] = mapped_column(CHAR(12), primary_key=True)
    name_kk: Mapped[str | None] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(32), nullable=False)
    registration_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    kato: Mapped[str] = mapped_column(String(9), nullable=False)
    import_id: Mapped[uuid.UUID] = mapped_column(UUID, ForeignKey("ops.register_import.id"), nullable=False)
    updated_at: Mapped[dt.datetime] = _now()


class Participant(Base):
    """A participant of the marking system, keyed by its BIN (legal entity) or IIN (entrepreneur)."""

    __tablename__ = "participant"
    __table_args__ = (
        CheckConstraint("bin ~ '^[0-9]{12}$'", name="bin_digits"),
        CheckConstraint("cardinality(types) > 0", name="has_type"),
        CheckConstraint(
            "state IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'BLOCKED', 'LIQUIDATED')", name="state"
        ),
        {"schema": "ops"},
    )

    bin: Mapped[str] = mapped_column(CHAR(12), primary_key=True)
    is_individual: Mapped[bool] = mapped_column(Boolean, nullable=False)
    name_kk: Mapped[str | None] = mapped_column(Text)
    name_ru: Mapped[str] = mapped_column(Text, nullable=False)
    types: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    kato: Mapped[str] = mapped_column(String(9), nullable=False)
    registered_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


# --- data quality results, written by the quality runner -------------------------------------------
class ValidationRun(Base):
    """One run of one Great Expectations suite."""

    __tablename__ = "validation_run"
    __table_args__ = {"schema": "dq"}

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False, index=True)
    suite: Mapped[str] = mapped_column(Text, nullable=False)
    asset: Mapped[str] = mapped_column(Text, nullable=False)
    success: Mapped[bool] = mapped_column(Boolean, nullable=False)
    evaluated: Mapped[int] = mapped_column(Integer, nullable=False)
    failed: Mapped[int] = mapped_column(Integer, nullable=False)
    details: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    run_at: Mapped[dt.datetime] = _now()


__all__ = [
    "Base",
    "BusinessRegisterEntry",
    "Participant",
    "ReferenceDirectory",
    "ReferenceEntry",
    "RegisterImport",
    "ValidationRun",
]
