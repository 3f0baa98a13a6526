"""Product catalogue: product cards of participants and the GTINs of their group and transport packs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = "current_setting('tanba.bin', true)"
ROLE = "current_setting('tanba.role', true)"


def upgrade() -> None:
    op.create_table(
        "product",
        sa.Column("gtin", sa.CHAR(14), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("product_group", sa.String(32), nullable=False),
        sa.Column("tnved", sa.String(10), nullable=False),
        sa.Column("name_kk", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=True),
        sa.Column("manufacturer", sa.Text(), nullable=False),
        sa.Column("manufacturer_bin", sa.CHAR(12), nullable=True),
        sa.Column("country", sa.CHAR(2), nullable=False),
        sa.Column("importer_bin", sa.CHAR(12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("gtin ~ '^[0-9]{14}$'", name="ck_product_gtin_digits"),
        sa.CheckConstraint("country = 'KZ' OR importer_bin IS NOT NULL", name="ck_product_importer_when_imported"),
        sa.PrimaryKeyConstraint("gtin", name="pk_product"),
        schema="ops",
    )
    op.create_index("ix_product_owner_bin", "product", ["owner_bin"], schema="ops")
    op.create_table(
        "product_pack",
        sa.Column("gtin", sa.CHAR(14), nullable=False),
        sa.Column("product_gtin", sa.CHAR(14), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.CheckConstraint("gtin ~ '^[0-9]{14}$'", name="ck_product_pack_gtin_digits"),
        sa.CheckConstraint("level IN ('GROUP_PACK', 'TRANSPORT_PACK')", name="ck_product_pack_level"),
        sa.CheckConstraint("units > 0", name="ck_product_pack_units"),
        sa.ForeignKeyConstraint(["product_gtin"], ["ops.product.gtin"],
                                name="fk_product_pack_product_gtin_product", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("gtin", name="pk_product_pack"),
        schema="ops",
    )
    op.create_index("ix_product_pack_product_gtin", "product_pack", ["product_gtin"], schema="ops")
    # One GTIN names one thing: a unit GTIN is never a pack GTIN and the other way round.
    op.execute("""
        CREATE FUNCTION ops.gtin_is_unique() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = ops, pg_temp AS $$
        BEGIN
            IF TG_TABLE_NAME = 'product' AND EXISTS (SELECT 1 FROM ops.product_pack WHERE gtin = NEW.gtin)
               OR TG_TABLE_NAME = 'product_pack' AND EXISTS (SELECT 1 FROM ops.product WHERE gtin = NEW.gtin) THEN
                RAISE EXCEPTION 'GTIN % is already registered', NEW.gtin USING ERRCODE = 'unique_violation';
            END IF;
            RETURN NEW;
        END
        $$
    """)
    for table in ("product", "product_pack"):
        op.execute(f"CREATE TRIGGER {table}_gtin_unique BEFORE INSERT OR UPDATE OF gtin ON ops.{table} "
                   "FOR EACH ROW EXECUTE FUNCTION ops.gtin_is_unique()")
        op.execute(f"ALTER TABLE ops.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE ops.{table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant ON ops.{table} FOR ALL TO tanba_api "
            f"USING (owner_bin = {TENANT} OR {ROLE} = 'operator') "
            f"WITH CHECK (owner_bin = {TENANT} OR {ROLE} = 'operator')"
        )
        op.execute(f"CREATE POLICY authority_read ON ops.{table} FOR SELECT TO tanba_api USING ({ROLE} = 'authority')")
        # the public verification shows the product card of any code (requirement 7)
        op.execute(f"CREATE POLICY public_card ON ops.{table} FOR SELECT TO tanba_api USING ({ROLE} = 'public')")
        op.execute(f"CREATE POLICY analytics_read ON ops.{table} FOR SELECT TO tanba_analytics USING (true)")
        op.execute(f"CREATE POLICY owner_all ON ops.{table} FOR ALL TO tanba_owner USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON ops.{table} TO tanba_api")
        op.execute(f"GRANT SELECT ON ops.{table} TO tanba_analytics")
    op.execute("GRANT DELETE ON ops.product_pack TO tanba_api")


def downgrade() -> None:
    op.drop_table("product_pack", schema="ops")
    op.drop_table("product", schema="ops")
    op.execute("DROP FUNCTION ops.gtin_is_unique()")
