"""The database catalogue: every table holding a participant's rows has row-level security enabled and
forced, with a tenant policy for the API role; the API role is neither owner nor superuser."""

import psycopg

# a participant's rows are found by one of these columns
TENANT_COLUMNS = ("owner_bin", "participant_bin")


def test_every_tenant_table_has_forced_rls_and_a_tenant_policy(db_urls):
    with psycopg.connect(db_urls.owner) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'ops' "
            "AND column_name = ANY(%s)", (list(TENANT_COLUMNS),))}
        tables.add("participant")
        assert {"participant", "participant_application", "auth_session"} <= tables
        for table in sorted(tables):
            enabled, forced, owner = conn.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'ops' AND c.relname = %s",
                (table,)).fetchone()
            assert enabled and forced, f"ops.{table}: row-level security must be enabled and forced"
            assert owner != "tanba_api"
            policies = conn.execute(
                "SELECT policyname, roles::text[], qual FROM pg_policies WHERE schemaname = 'ops' AND tablename = %s",
                (table,)).fetchall()
            api_policies = [p for p in policies if "tanba_api" in p[1]]
            assert any("tanba.bin" in (p[2] or "") for p in api_policies), f"ops.{table}: no tenant policy"
            assert not any((p[2] or "").strip() == "true" for p in api_policies), f"ops.{table}: open policy"


def test_api_role_has_no_bypass(db_urls):
    with psycopg.connect(db_urls.owner) as conn:
        row = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'tanba_api'").fetchone()
    assert row == (False, False)


def test_tenant_setting_is_per_transaction(db_urls):
    with psycopg.connect(db_urls.api) as conn:
        conn.execute("SELECT set_config('tanba.bin', '080340424453', true)")
        assert conn.execute("SELECT current_setting('tanba.bin', true)").fetchone() == ("080340424453",)
        conn.commit()
        assert conn.execute("SELECT current_setting('tanba.bin', true)").fetchone()[0] in ("", None)


def test_rows_of_another_tenant_are_invisible_and_unwritable(db_urls):
    with psycopg.connect(db_urls.api) as conn:
        conn.execute("SELECT set_config('tanba.role', 'operator', true)")
        conn.execute("INSERT INTO ops.participant (bin, is_individual, name_ru, types, state, kato) VALUES "
                      "('080340424453', false, 'A', '{RETAILER}', 'ACTIVE', '710000000'), "
                      "('150240517508', false, 'B', '{RETAILER}', 'ACTIVE', '710000000')")
        conn.commit()
        conn.execute("SELECT set_config('tanba.bin', '080340424453', true), "
                     "set_config('tanba.role', 'participant', true)")
        assert conn.execute("SELECT bin FROM ops.participant").fetchall() == [("080340424453",)]
        assert conn.execute("UPDATE ops.participant SET name_ru = 'X' WHERE bin = '150240517508'").rowcount == 0
        conn.commit()
        conn.execute("SELECT set_config('tanba.role', 'authority', true)")
        assert len(conn.execute("SELECT bin FROM ops.participant").fetchall()) == 2
        assert conn.execute("UPDATE ops.participant SET name_ru = 'X'").rowcount == 0
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM ops.participant").fetchone() == (0,)
