"""Group pack codes (КИГУ): a code order may name a product's group pack GTIN, and a pack's code is answered
with its product's card.

The order's GTIN is a product's or one of its group packs' (checked by the API), so the foreign key to
``ops.product`` goes. Public verification reads the product through the pack when the code is a pack's:
one more index probe a verification.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from warehouse.migrate import revision_module

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRODUCT_OF_CODE = "LEFT JOIN ops.product p ON p.gtin = m.gtin"
PRODUCT_OF_CODE_OR_PACK = ("LEFT JOIN ops.product_pack pk ON pk.gtin = m.gtin "
                           "LEFT JOIN ops.product p ON p.gtin = coalesce(pk.product_gtin, m.gtin)")


def _verify_many(body: str) -> None:
    batched = revision_module("0007")
    op.execute(body.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute(f"ALTER FUNCTION {batched.VERIFY_MANY} SET plan_cache_mode = force_generic_plan")  # as 0008 set


def upgrade() -> None:
    op.drop_constraint("fk_code_order_gtin_product", "code_order", schema="ops", type_="foreignkey")
    body = revision_module("0007").VERIFY_MANY_FUNCTION
    assert PRODUCT_OF_CODE in body
    _verify_many(body.replace(PRODUCT_OF_CODE, PRODUCT_OF_CODE_OR_PACK))


def downgrade() -> None:
    _verify_many(revision_module("0007").VERIFY_MANY_FUNCTION)
    op.create_foreign_key("fk_code_order_gtin_product", "code_order", "product", ["gtin"], ["gtin"],
                          source_schema="ops", referent_schema="ops")
