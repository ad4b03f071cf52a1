"""staff accounts (#27): a transfer's release proposed by one person before another confirms it,
and who released it

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


def downgrade() -> None:
    op.drop_column("transfers", "released_by")
    op.drop_column("transfers", "release_reason")
    op.drop_column("transfers", "release_proposed_at")
    op.drop_column("transfers", "release_proposed_by")
