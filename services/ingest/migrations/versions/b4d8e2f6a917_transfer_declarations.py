"""transfer declarations (#29): what the depositor declared, what completion found comparing it
with what was stored, and the health centre's confirmation of the receipt

Revision ID: b4d8e2f6a917
Revises: a7c2e9d41b38
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b4d8e2f6a917"
down_revision: str | None = "a7c2e9d41b38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transfers", sa.Column("declared", postgresql.JSONB(), nullable=True))
    op.add_column("transfers", sa.Column("reconciliation", postgresql.JSONB(), nullable=True))
    op.add_column(
        "transfers", sa.Column("receipt_confirmed_by", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "transfers",
        sa.Column("receipt_confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("transfers", "receipt_confirmed_at")
    op.drop_column("transfers", "receipt_confirmed_by")
    op.drop_column("transfers", "reconciliation")
    op.drop_column("transfers", "declared")
