"""A session names its certificate to the gateway, which refuses it once a CRL revokes that certificate.

``ops.session_for_token`` also returns the certificate's serial (hexadecimal), so a token stops working
when the next CRL names its certificate, not only when it expires.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_FOR_TOKEN = "ops.session_for_token(bytea, int)"  # noqa: S105 (a function, not a secret)
BODY = """
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
    BEGIN
        UPDATE ops.auth_session s SET last_seen_at = now()
         WHERE s.token_hash = p_token_hash AND s.revoked_at IS NULL AND s.expires_at > now()
           AND s.last_seen_at < now() - interval '60 seconds'
           AND s.last_seen_at > now() - make_interval(secs => p_idle_seconds);
        RETURN QUERY SELECT s.id, s.owner_bin, s.person_iin, s.roles, s.expires_at, s.last_seen_at,
                            s.revoked_at, now(){serial}
                       FROM ops.auth_session s WHERE s.token_hash = p_token_hash;
    END
    $$
"""
COLUMNS = ("id uuid, owner_bin char(12), person_iin char(12), roles varchar(16)[], expires_at timestamptz, "
           "last_seen_at timestamptz, revoked_at timestamptz, now timestamptz")


def _create(with_serial: bool) -> None:
    columns = COLUMNS + (", certificate_serial text" if with_serial else "")
    op.execute(f"DROP FUNCTION {SESSION_FOR_TOKEN}")
    op.execute(f"CREATE FUNCTION ops.session_for_token(p_token_hash bytea, p_idle_seconds int) "
               f"RETURNS TABLE ({columns})"
               + BODY.replace("{serial}", ", s.certificate_serial" if with_serial else ""))
    op.execute(f"REVOKE ALL ON FUNCTION {SESSION_FOR_TOKEN} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SESSION_FOR_TOKEN} TO tanba_api")


def upgrade() -> None:
    _create(with_serial=True)


def downgrade() -> None:
    _create(with_serial=False)
