"""staff accounts (#27): a transfer's release proposed by one person before another confirms it,
and who released it; the refused deposits staff see of a transfer

Revision ID: a9c3e5f7b120
Revises: f2b8d4e6a913
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9c3e5f7b120"
down_revision: str | None = "f2b8d4e6a913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "transfers", sa.Column("release_proposed_by", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "transfers",
        sa.Column("release_proposed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("transfers", sa.Column("release_reason", sa.String(length=500), nullable=True))
    op.add_column("transfers", sa.Column("released_by", sa.String(length=64), nullable=True))
    op.create_table(
        "deposit_problems",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("problem", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_problems")),
    )
    op.create_index(
        op.f("ix_deposit_problems_transfer_id"), "deposit_problems", ["transfer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deposit_problems_transfer_id"), table_name="deposit_problems")
    op.drop_table("deposit_problems")
    op.drop_column("transfers", "released_by")
    op.drop_column("transfers", "release_reason")
    op.drop_column("transfers", "release_proposed_at")
    op.drop_column("transfers", "release_proposed_by")
