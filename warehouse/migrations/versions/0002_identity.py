"""Identity and security: login challenges, sessions, role grants, participant applications, row-level
security on participants' data, and the append-only, hash-chained audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")
AUDIT_SHARDS = 64
# Appending is the only way in (also the body migration 0007 restores on downgrade).
AUDIT_APPEND_FUNCTION = f"""
        CREATE FUNCTION ops.audit_append(
            p_request_id text, p_actor_bin text, p_actor_iin text, p_role text, p_client_ip text,
            p_method text, p_route text, p_action text, p_object_id text, p_status int
        ) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
        DECLARE
            h record;
            v_at timestamptz := clock_timestamp();
            v_hash bytea;
            v_shard int;
        BEGIN
            SELECT shard, seq, hash INTO h FROM ops.audit_chain_head
             ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN  -- every shard is busy: queue on one (chosen once, not per row)
                v_shard := floor(random() * {AUDIT_SHARDS})::int;
                SELECT shard, seq, hash INTO h FROM ops.audit_chain_head WHERE shard = v_shard FOR UPDATE;
            END IF;
            v_hash := sha256(h.hash || ops.audit_canonical(
                h.shard::smallint, h.seq + 1, v_at, p_request_id, p_actor_bin, p_actor_iin, p_role, p_client_ip,
                p_method, p_route, p_action, p_object_id, p_status::smallint));
            INSERT INTO ops.audit_log (shard, seq, at, request_id, actor_bin, actor_iin, role, client_ip, method,
                                       route, action, object_id, status, prev_hash, hash)
            VALUES (h.shard, h.seq + 1, v_at, p_request_id, p_actor_bin, p_actor_iin, p_role, p_client_ip,
                    p_method, p_route, p_action, p_object_id, p_status, h.hash, v_hash);
            UPDATE ops.audit_chain_head SET seq = h.seq + 1, hash = v_hash WHERE shard = h.shard;
            RETURN h.seq + 1;
        END
        $$
"""

# The tenant is set per transaction by the API: set_config('tanba.bin', …, true) and 'tanba.role'.
TENANT = "current_setting('tanba.bin', true)"
ROLE = "current_setting('tanba.role', true)"


def _tenant_policies(table: str, column: str) -> None:
    """RLS for a table of participants' rows: the API sees its tenant's rows (operators all, authorities
    read all), analytics reads everything, the owner (migrations, maintenance) keeps full rights."""
    op.execute(f"ALTER TABLE ops.{table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE ops.{table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant ON ops.{table} FOR ALL TO tanba_api "
        f"USING ({column} = {TENANT} OR {ROLE} = 'operator') "
        f"WITH CHECK ({column} = {TENANT} OR {ROLE} = 'operator')"
    )
    op.execute(f"CREATE POLICY authority_read ON ops.{table} FOR SELECT TO tanba_api USING ({ROLE} = 'authority')")
    op.execute(f"CREATE POLICY analytics_read ON ops.{table} FOR SELECT TO tanba_analytics USING (true)")
    op.execute(f"CREATE POLICY owner_all ON ops.{table} FOR ALL TO tanba_owner USING (true) WITH CHECK (true)")


def upgrade() -> None:
    op.create_table(
        "auth_challenge",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_ip", pg.INET(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_challenge"),
        schema="ops",
    )
    op.create_index("ix_auth_challenge_expires_at", "auth_challenge", ["expires_at"], schema="ops")
    op.create_table(
        "auth_session",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("person_iin", sa.CHAR(12), nullable=True),
        sa.Column("roles", pg.ARRAY(sa.String(16)), nullable=False),
        sa.Column("certificate_serial", sa.Text(), nullable=False),
        sa.Column("certificate_sha256", sa.CHAR(64), nullable=False),
        sa.Column("client_ip", pg.INET(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_session"),
        sa.UniqueConstraint("token_hash", name="uq_auth_session_token_hash"),
        schema="ops",
    )
    op.create_index("ix_auth_session_owner_bin", "auth_session", ["owner_bin"], schema="ops")
    op.create_table(
        "role_grant",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("bin", sa.CHAR(12), nullable=False),
        sa.Column("iin", sa.CHAR(12), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("granted_by", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('authority', 'ofd', 'eaeu', 'operator')", name="ck_role_grant_role"),
        sa.PrimaryKeyConstraint("id", name="pk_role_grant"),
        schema="ops",
    )
    op.create_index("ix_role_grant_bin", "role_grant", ["bin"], schema="ops")
    op.create_table(
        "participant_application",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("requested_types", pg.ARRAY(sa.String(32)), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("signer_iin", sa.CHAR(12), nullable=False),
        sa.Column("signer_certificate_sha256", sa.CHAR(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("approved_types", pg.ARRAY(sa.String(32)), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('PENDING', 'APPROVED', 'REJECTED')", name="ck_participant_application_status"),
        sa.PrimaryKeyConstraint("id", name="pk_participant_application"),
        schema="ops",
    )
    op.create_index("ix_participant_application_owner_bin", "participant_application", ["owner_bin"], schema="ops")

    # --- the audit trail (requirement 23) -----------------------------------------------------------------
    op.create_table(
        "audit_log",
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=False),
        sa.Column("actor_bin", sa.CHAR(12), nullable=True),
        sa.Column("actor_iin", sa.CHAR(12), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("client_ip", sa.Text(), nullable=True),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("object_id", sa.Text(), nullable=True),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("shard", "seq", name="pk_audit_log"),
        schema="ops",
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], schema="ops")
    op.create_index("ix_audit_log_actor_bin_at", "audit_log", ["actor_bin", "at"], schema="ops")
    op.create_table(
        "audit_chain_head",
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("shard", name="pk_audit_chain_head"),
        schema="ops",
    )
    # Each shard's chain starts from a genesis hash of its number.
    op.execute(
        f"INSERT INTO ops.audit_chain_head (shard, seq, hash) SELECT s, 0, sha256(convert_to('tanba-audit-' || s, "
        f"'UTF8')) FROM generate_series(0, {AUDIT_SHARDS - 1}) s"
    )
    # The canonical text of a row, hashed with the previous hash of its shard. Every field is in it.
    op.execute("""
        CREATE FUNCTION ops.audit_canonical(
            shard smallint, seq bigint, at timestamptz, request_id text, actor_bin text, actor_iin text,
            role text, client_ip text, method text, route text, action text, object_id text, status smallint
        ) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
            SELECT convert_to(jsonb_build_array(
                shard, seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), request_id,
                actor_bin, actor_iin, role, client_ip, method, route, action, object_id, status
            )::text, 'UTF8')
        $$
    """)
    # Appending is the only way in: it takes a free shard (SKIP LOCKED), so concurrent transactions
    # chain in parallel instead of queueing behind one lock.
    op.execute(AUDIT_APPEND_FUNCTION)
    op.execute("""
        CREATE FUNCTION ops.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'ops.audit_log is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    op.execute(
        "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON ops.audit_log "
        "FOR EACH ROW EXECUTE FUNCTION ops.audit_log_is_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ops.audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION ops.audit_log_is_append_only()"
    )
    op.execute("ALTER TABLE ops.audit_log ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE ops.audit_log FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY search ON ops.audit_log FOR SELECT TO tanba_api "
        f"USING ({ROLE} IN ('operator', 'authority'))"
    )
    op.execute("CREATE POLICY owner_all ON ops.audit_log FOR ALL TO tanba_owner USING (true) WITH CHECK (true)")
    op.execute("CREATE POLICY analytics_read ON ops.audit_log FOR SELECT TO tanba_analytics USING (true)")

    # --- rights -------------------------------------------------------------------------------------------
    op.execute("GRANT SELECT, INSERT, UPDATE ON ops.auth_challenge, ops.auth_session TO tanba_api")
    op.execute("GRANT DELETE ON ops.auth_challenge TO tanba_api")
    op.execute("GRANT SELECT, INSERT, UPDATE ON ops.role_grant, ops.participant_application TO tanba_api")
    op.execute("GRANT SELECT ON ops.audit_log, ops.audit_chain_head TO tanba_api, tanba_analytics")
    op.execute("REVOKE ALL ON FUNCTION ops.audit_append FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION ops.audit_append TO tanba_api")
    op.execute("GRANT SELECT ON ops.auth_session, ops.role_grant, ops.participant_application TO tanba_analytics")

    # Row-level security on every table that holds a participant's rows.
    _tenant_policies("participant", "bin")
    _tenant_policies("participant_application", "owner_bin")
    _tenant_policies("auth_session", "owner_bin")
    # The token lookup before the tenant is known: one call, no session-wide rights for the API. It also
    # records activity (for the idle timeout) at most once a minute per session.
    op.execute("""
        CREATE FUNCTION ops.session_for_token(p_token_hash bytea, p_idle_seconds int)
        RETURNS TABLE (id uuid, owner_bin char(12), person_iin char(12), roles varchar(16)[],
                       expires_at timestamptz, last_seen_at timestamptz, revoked_at timestamptz, now timestamptz)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
        BEGIN
            UPDATE ops.auth_session s SET last_seen_at = now()
             WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
               AND s.last_seen_at < now() - interval '60 seconds'
               AND s.last_seen_at > now() - make_interval(secs => p_idle_seconds);
            RETURN QUERY SELECT s.id, s.owner_bin, s.person_iin, s.roles, s.expires_at, s.last_seen_at,
                                s.revoked_at, now()
                           FROM ops.auth_session s WHERE s.token_hash = p_token_hash;
        END
        $$
    """)
    op.execute("REVOKE ALL ON FUNCTION ops.session_for_token(bytea, int) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION ops.session_for_token(bytea, int) TO tanba_api")


def downgrade() -> None:
    for table in ("participant", "participant_application", "auth_session"):
        for policy in ("tenant", "authority_read", "analytics_read", "owner_all"):
            op.execute(f"DROP POLICY IF EXISTS {policy} ON ops.{table}")
    op.execute("DROP FUNCTION ops.session_for_token(bytea, int)")
    op.execute("ALTER TABLE ops.participant NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE ops.participant DISABLE ROW LEVEL SECURITY")
    op.drop_table("audit_chain_head", schema="ops")
    op.execute("DROP TRIGGER audit_log_no_truncate ON ops.audit_log")
    op.execute("DROP TRIGGER audit_log_no_update_delete ON ops.audit_log")
    op.drop_table("audit_log", schema="ops")
    op.execute("DROP FUNCTION ops.audit_log_is_append_only()")
    op.execute("DROP FUNCTION ops.audit_append(text, text, text, text, text, text, text, text, text, int)")
    op.execute(
        "DROP FUNCTION ops.audit_canonical(smallint, bigint, timestamptz, text, text, text, text, text, text, "
        "text, text, text, smallint)"
    )
    op.drop_table("participant_application", schema="ops")
    op.drop_table("role_grant", schema="ops")
    op.drop_table("auth_session", schema="ops")
    op.drop_table("auth_challenge", schema="ops")
