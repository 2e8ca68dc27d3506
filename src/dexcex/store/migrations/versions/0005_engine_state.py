"""engine_state: state that outlives a restart (the kill switch); orders.leg: an
order's leg as a field (entry or exit), no longer read from its client id

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_state",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_engine_state")),
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("leg", sa.String(8), nullable=False, server_default="entry"))
    # the orders of earlier versions: their id is the only record of their leg
    op.execute("UPDATE orders SET leg = 'exit' WHERE client_order_id LIKE 'dxx%'")


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("leg")
    op.drop_table("engine_state")
