"""signals.wall_ms: when the live engine built the signal, on the wall clock (NULL in
virtual time). ``created_ms`` is the events' time, which a replay of the run's recording
gives again; the per-hop latency is measured from this one.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("signals", sa.Column("wall_ms", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite >= 3.35): a batch copy of the table would break the
    # analytics views that read it
    op.drop_column("signals", "wall_ms")
