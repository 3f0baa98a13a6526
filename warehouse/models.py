"""SQLAlchemy models of the operational schema ``ops`` and the data-quality schema ``dq``.

The migrations in ``warehouse/migrations`` are the source of truth for the database; a test checks
that these models and the migrated schema agree.
"""

import datetime as dt
import uuid
from decimal import Decimal
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
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID
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


# --- identity and security (requirements 16, 23) -----------------------------------------------------
class AuthChallenge(Base):
    """A single-use random challenge a participant signs to log in."""

    __tablename__ = "auth_challenge"
    __table_args__ = {"schema": "ops"}

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    data: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    client_ip: Mapped[str | None] = mapped_column(INET)


class AuthSession(Base):
    """A bearer token (kept only as a hash) bound to a participant and the person who signed in."""

    __tablename__ = "auth_session"
    __table_args__ = {"schema": "ops"}

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False, index=True)
    person_iin: Mapped[str | None] = mapped_column(CHAR(12))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(16)), nullable=False)
    certificate_serial: Mapped[str] = mapped_column(Text, nullable=False)
    certificate_sha256: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    client_ip: Mapped[str | None] = mapped_column(INET)
    created_at: Mapped[dt.datetime] = _now()
    last_seen_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(Text)


class RoleGrant(Base):
    """A role the operator granted to an organisation (iin null) or to one person in it."""

    __tablename__ = "role_grant"
    __table_args__ = (
        CheckConstraint("role IN ('authority', 'ofd', 'eaeu', 'operator')", name="role"),
        {"schema": "ops"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    bin: Mapped[str] = mapped_column(CHAR(12), nullable=False, index=True)
    iin: Mapped[str | None] = mapped_column(CHAR(12))
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    granted_at: Mapped[dt.datetime] = _now()
    granted_by: Mapped[str] = mapped_column(Text, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ParticipantApplication(Base):
    """A signed application to register as a participant, and the operator's decision on it."""

    __tablename__ = "participant_application"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="status"),
        {"schema": "ops"},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False, index=True)
    requested_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)), nullable=False)
    document: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signer_iin: Mapped[str] = mapped_column(CHAR(12), nullable=False)
    signer_certificate_sha256: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    submitted_at: Mapped[dt.datetime] = _now()
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(Text)
    approved_types: Mapped[list[str] | None] = mapped_column(ARRAY(String(32)))
    decision_reason: Mapped[str | None] = mapped_column(Text)


class AuditRecord(Base):
    """One audited request. Append-only (enforced by triggers) and hash-chained per shard."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # A participant's trail (the public's rows have no actor); the time range: BRIN, tiny on an append-only log.
        Index("ix_audit_log_actor_bin_at", "actor_bin", "at", postgresql_where=text("actor_bin IS NOT NULL")),
        Index("ix_audit_log_at", "at", postgresql_using="brin"),
        {"schema": "ops"},
    )

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    request_id: Mapped[str] = mapped_column(Text, nullable=False)
    actor_bin: Mapped[str | None] = mapped_column(CHAR(12))
    actor_iin: Mapped[str | None] = mapped_column(CHAR(12))
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    client_ip: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    route: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    object_id: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    prev_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class AuditChainHead(Base):
    """The last sequence number and hash of each audit shard."""

    __tablename__ = "audit_chain_head"
    __table_args__ = {"schema": "ops"}

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


# --- marking codes (requirements 1, 2) ---------------------------------------------------------------
class EmissionKey(Base):
    """An Ed25519 key that signs the crypto tail of marking codes; the private half is stored encrypted."""

    __tablename__ = "emission_key"
    __table_args__ = (
        CheckConstraint("algorithm = 'Ed25519'", name="algorithm"),
        CheckConstraint("length(public_key) = 32", name="public_key_length"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        {"schema": "ops"},
    )

    key_id: Mapped[str] = mapped_column(CHAR(4), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16), nullable=False)
    public_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    wrapped_data_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    master_key_id: Mapped[str] = mapped_column(String(16), nullable=False)
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    valid_to: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _now()


class Product(Base):
    """A product card: what a GTIN is, who owns it, where it comes from."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("gtin ~ '^[0-9]{14}$'", name="gtin_digits"),
        CheckConstraint("country = 'KZ' OR importer_bin IS NOT NULL", name="importer_when_imported"),
        {"schema": "ops"},
    )

    gtin: Mapped[str] = mapped_column(CHAR(14), primary_key=True)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False, index=True)
    product_group: Mapped[str] = mapped_column(String(32), nullable=False)
    tnved: Mapped[str] = mapped_column(String(10), nullable=False)
    name_kk: Mapped[str] = mapped_column(Text, nullable=False)
    name_ru: Mapped[str] = mapped_column(Text, nullable=False)
    brand: Mapped[str | None] = mapped_column(Text)
    manufacturer: Mapped[str] = mapped_column(Text, nullable=False)
    manufacturer_bin: Mapped[str | None] = mapped_column(CHAR(12))
    country: Mapped[str] = mapped_column(CHAR(2), nullable=False)
    importer_bin: Mapped[str | None] = mapped_column(CHAR(12))
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class ProductPack(Base):
    """A group or transport pack of a product, with its own GTIN and the units it holds."""

    __tablename__ = "product_pack"
    __table_args__ = (
        CheckConstraint("gtin ~ '^[0-9]{14}$'", name="gtin_digits"),
        CheckConstraint("level IN ('GROUP_PACK', 'TRANSPORT_PACK')", name="level"),
        CheckConstraint("units > 0", name="units"),
        {"schema": "ops"},
    )

    gtin: Mapped[str] = mapped_column(CHAR(14), primary_key=True)
    product_gtin: Mapped[str] = mapped_column(
        CHAR(14), ForeignKey("ops.product.gtin", ondelete="CASCADE"), nullable=False, index=True
    )
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    units: Mapped[int] = mapped_column(Integer, nullable=False)


class CodeOrder(Base):
    """An order for marking codes of one GTIN, generated in the background."""

    __tablename__ = "code_order"
    __table_args__ = (
        CheckConstraint("quantity BETWEEN 1 AND 1000000", name="quantity"),
        CheckConstraint("status IN ('RECEIVED', 'PROCESSING', 'DONE', 'FAILED')", name="status"),
        {"schema": "ops"},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False, index=True)
    gtin: Mapped[str] = mapped_column(CHAR(14), nullable=False)  # a product's, or one of its group packs'
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    produced: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    key_id: Mapped[str | None] = mapped_column(CHAR(4))
    error: Mapped[str | None] = mapped_column(Text)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)  # the signed CODE_ORDER, kept as evidence
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    signer_iin: Mapped[str | None] = mapped_column(CHAR(12))
    created_at: Mapped[dt.datetime] = _now()
    completed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class MarkingCode(Base):
    """One unit's code: the identification code (GTIN + serial), its crypto tail and current status."""

    __tablename__ = "marking_code"
    __table_args__ = (
        CheckConstraint("status IN ('EMITTED', 'APPLIED', 'INTRODUCED', 'RETIRED', 'WRITTEN_OFF')", name="status"),
        Index("ix_marking_code_parent", "parent", postgresql_where=text("parent IS NOT NULL")),
        {"schema": "ops"},
    )

    gtin: Mapped[str] = mapped_column(CHAR(14), primary_key=True)
    serial: Mapped[str] = mapped_column(String(20), primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False, index=True)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False)
    key_id: Mapped[str] = mapped_column(CHAR(4), nullable=False)
    crypto_tail: Mapped[str] = mapped_column(CHAR(88), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="EMITTED")
    emitted_at: Mapped[dt.datetime] = _now()
    parent: Mapped[str | None] = mapped_column(String(40))  # the parent's identification code (00 + SSCC, …)


class Document(Base):
    """A signed document as received (its exact bytes and signature) and the outcome of its processing."""

    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint("status IN ('RECEIVED', 'PROCESSING', 'CHECKED_OK', 'CHECKED_NOT_OK')", name="status"),
        Index("ix_document_sender_bin_received_at", "sender_bin", "received_at"),
        Index("ix_document_waiting", "received_at", postgresql_where=text("status IN ('RECEIVED', 'PROCESSING')")),
        {"schema": "ops"},
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), nullable=False)
    sender_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False)
    signer_iin: Mapped[str | None] = mapped_column(CHAR(12))
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, server_default="RECEIVED")
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    codes: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(SmallInteger, nullable=False, server_default="0")
    received_at: Mapped[dt.datetime] = _now()
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class TransportPack(Base):
    """A transport pack (SSCC) formed by aggregation; it may sit in another one."""

    __tablename__ = "transport_pack"
    __table_args__ = (
        CheckConstraint("sscc ~ '^[0-9]{18}$'", name="sscc_digits"),
        Index("ix_transport_pack_parent", "parent", postgresql_where=text("parent IS NOT NULL")),
        {"schema": "ops"},
    )

    sscc: Mapped[str] = mapped_column(CHAR(18), primary_key=True)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False)
    parent: Mapped[str | None] = mapped_column(String(40))
    document_id: Mapped[uuid.UUID] = mapped_column(UUID, nullable=False)
    created_at: Mapped[dt.datetime] = _now()


class CodeEvent(Base):
    """One event in a code's history (append-only); emission is the code's own row."""

    __tablename__ = "code_event"
    __table_args__ = (Index("ix_code_event_code_at", "code", "at"), {"schema": "ops"})

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(40), nullable=False)
    owner_bin: Mapped[str] = mapped_column(CHAR(12), nullable=False)
    at: Mapped[dt.datetime] = _now()
    event: Mapped[str] = mapped_column(String(24), nullable=False)
    document_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    detail: Mapped[str | None] = mapped_column(Text)


class CodeScan(Base):
    """One public verification of a code: when, roughly where, and what it found (for copy detection)."""

    __tablename__ = "code_scan"
    __table_args__ = (
        Index("ix_code_scan_gtin_serial_scanned_at", "gtin", "serial", "scanned_at"),
        {"schema": "ops"},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    gtin: Mapped[str] = mapped_column(CHAR(14), nullable=False)
    serial: Mapped[str] = mapped_column(String(20), nullable=False)
    scanned_at: Mapped[dt.datetime] = _now()
    found: Mapped[bool] = mapped_column(Boolean, nullable=False)
    authentic: Mapped[bool] = mapped_column(Boolean, nullable=False)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    client: Mapped[str | None] = mapped_column(Text)


class ViolationReport(Base):
    """A citizen's report of a violation, from the mobile app."""

    __tablename__ = "violation_report"
    __table_args__ = {"schema": "ops"}

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    code: Mapped[str | None] = mapped_column(Text)
    gtin: Mapped[str | None] = mapped_column(CHAR(14))
    serial: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(8, 5))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(8, 5))
    address: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_type: Mapped[str | None] = mapped_column(String(16))
    client_ip: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                     server_default=func.now(), index=True)
    request_sha256: Mapped[bytes | None] = mapped_column(LargeBinary)  # the report as received, for retries


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
