"""The real migrations: upgrade → downgrade → upgrade, models agree with them, and the roles' rights."""

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, pool

from warehouse import migrate
from warehouse.models import Base


def _diff(owner_url: str) -> list:
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_schemas": True, "compare_type": True,
            "include_name": lambda name, type_, parents: name in {"ops", "dq"} if type_ == "schema" else True,
        })
        return compare_metadata(context, Base.metadata)


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('ops', 'dq', 'marts')"
        ).fetchall()
    return {r[0] for r in rows}


def test_round_trip_and_models_agree(db_urls):
    owner = db_urls.sqlalchemy("owner")
    assert migrate.current_revision(owner) == migrate.head_revision()
    before = _tables(db_urls.owner)
    assert {"ops.participant", "ops.reference_entry", "dq.validation_run"} <= before
    migrate.downgrade(owner, "base")
    assert _tables(db_urls.owner) == set()
    with psycopg.connect(db_urls.owner) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace").fetchall()}
    assert not {"ops", "dq", "marts"} & schemas
    migrate.upgrade(owner)
    assert _tables(db_urls.owner) == before
    assert _diff(owner) == []


def test_api_role_writes_rows_but_owns_nothing(db_urls):
    with psycopg.connect(db_urls.owner) as conn:
        owners = {r[0] for r in conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname IN ('ops', 'dq')").fetchall()}
        flags = conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'tanba_api'").fetchone()
    assert owners == {"tanba_owner"}
    assert flags == (False, False, False)
    with psycopg.connect(db_urls.api) as conn:
        conn.execute("SELECT count(*) FROM ops.participant")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE ops.participant")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE ops.mine (x int)")


def test_dashboard_role_cannot_read_ops(db_urls):
    with psycopg.connect(db_urls.dashboard) as conn:
        conn.execute("SELECT count(*) FROM dq.validation_run")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM ops.participant")


def test_analytics_role_reads_ops_and_writes_dq_only(db_urls):
    with psycopg.connect(db_urls.analytics) as conn:
        conn.execute("SELECT count(*) FROM ops.participant")
        conn.execute("CREATE TABLE marts.scratch (x int)")
        conn.execute("DROP TABLE marts.scratch")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM ops.participant")


def _verify_functions(url: str) -> dict[str, list[str] | None]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT proname, proconfig FROM pg_proc WHERE pronamespace = 'ops'::regnamespace "
                            "AND proname LIKE 'public_verify%'").fetchall()
    return {name: [c for c in config or [] if c.startswith("plan_cache_mode")] for name, config in rows}


def _settings(url: str, function: str) -> list[str]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT proconfig FROM pg_proc WHERE oid = %s::regprocedure", (function,)).fetchone()
    return sorted(row[0] or []) if row else []


KEYED = ["enable_hashjoin=off", "enable_mergejoin=off", "enable_seqscan=off", "jit=off",
         "plan_cache_mode=force_generic_plan", "search_path=ops, pg_temp"]


def test_downgrades_of_0016_and_0008_restore_the_functions_they_replaced(db_urls):
    owner = db_urls.sqlalchemy("owner")
    generic = ["plan_cache_mode=force_generic_plan"]
    assert _verify_functions(db_urls.owner) == {"public_verify_batch": generic}  # 0016: one function
    assert _settings(db_urls.owner, "ops.public_verify_batch(jsonb, text)") == KEYED
    migrate.downgrade(owner, "0015")
    try:
        assert _verify_functions(db_urls.owner) == {"public_verify_many": generic, "public_verify_batch": generic}
        many = "ops.public_verify_many(char[], text[], text[], text[], numeric[], numeric[], text[], text[], " \
               "text[], text)"
        assert _settings(db_urls.owner, many) == KEYED
        assert _settings(db_urls.owner, "ops.public_verify_batch(jsonb, text)") == [
            "plan_cache_mode=force_generic_plan", "search_path=ops, pg_temp"]
        with psycopg.connect(db_urls.api) as conn:  # the API's role may still call what it called
            assert conn.execute("SELECT ops.public_verify_batch('[]'::jsonb, '/')").fetchone() == ("[]",)
        migrate.downgrade(owner, "0007")
        assert _verify_functions(db_urls.owner) == {"public_verify_many": [], "public_verify": []}
    finally:
        migrate.upgrade(owner)
    assert _verify_functions(db_urls.owner) == {"public_verify_batch": generic}
    assert _settings(db_urls.owner, "ops.public_verify_batch(jsonb, text)") == KEYED


def test_the_downgrade_of_0017_audits_every_verification_as_the_public_again(db_urls):
    import json
    import uuid

    owner = db_urls.sqlalchemy("owner")

    def audited_as(serial: str) -> tuple[str, str, str | None]:
        request_id = str(uuid.uuid4())
        document = [{"gtin": "04600000000015", "serial": serial, "key_id": None, "tail": None, "lat": None,
                     "lon": None, "client": "test", "request_id": request_id, "client_ip": "10.9.8.7",
                     "actor_bin": "000140000011", "actor_iin": "850101300011", "role": "authority",
                     "method": "HEAD"}]
        with psycopg.connect(db_urls.api) as conn:
            conn.execute("SELECT ops.public_verify_batch(%s::jsonb, '/api/v1/public/verify')",
                         (json.dumps(document),))
        with psycopg.connect(db_urls.owner) as conn:
            row = conn.execute("SELECT role, method, actor_bin FROM ops.audit_log WHERE request_id = %s",
                               (request_id,)).fetchone()
        assert row is not None
        return row[0], row[1], row[2]

    assert audited_as("MIG17A") == ("authority", "HEAD", "000140000011")
    migrate.downgrade(owner, "0016")
    try:
        assert audited_as("MIG17B") == ("public", "GET", None)
        assert _settings(db_urls.owner, "ops.public_verify_batch(jsonb, text)") == KEYED
    finally:
        migrate.upgrade(owner)
    assert audited_as("MIG17C") == ("authority", "HEAD", "000140000011")
    assert _settings(db_urls.owner, "ops.public_verify_batch(jsonb, text)") == KEYED


def test_migrate_to_goes_down_to_an_older_revision_and_up_to_a_newer_one(db_urls):
    owner = db_urls.sqlalchemy("owner")
    head = migrate.head_revision()
    assert migrate.current_revision(owner) == head
    try:
        migrate.migrate_to(owner, "0015")  # older than the database: a downgrade (alembic's upgrade does nothing)
        assert migrate.current_revision(owner) == "0015"
        migrate.migrate_to(owner, "0016")
        assert migrate.current_revision(owner) == "0016"
        migrate.migrate_to(owner, "0016")  # already there: nothing
        assert migrate.current_revision(owner) == "0016"
        with pytest.raises(LookupError, match="no migration revision '9999'"):
            migrate.migrate_to(owner, "9999")
        assert migrate.current_revision(owner) == "0016"
    finally:
        migrate.migrate_to(owner, "head")
    assert migrate.current_revision(owner) == head
