"""models: the registry of trained models (card, file hash, status); signals.model_scores:
what the active and shadow models said of each signal

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.String(96), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("learner", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("card", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
    )
    op.create_index(op.f("ix_models_status"), "models", ["status"])
    op.add_column("signals", sa.Column("model_scores", _json(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite >= 3.35): a batch copy of the table would break the
    # analytics views that read it
    op.drop_column("signals", "model_scores")
    op.drop_index(op.f("ix_models_status"), table_name="models")
    op.drop_table("models")
