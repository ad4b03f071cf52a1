"""transfer receipts (#29): an issuance may be a completed transfer's 이관확인서, issued once per
transfer (`transfer_id`), with the facts it states (`facts`)

Revision ID: f3b7d1c9e254
Revises: d0c5a1e28f01
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f3b7d1c9e254"
down_revision: str | None = "d0c5a1e28f01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("issuances", sa.Column("transfer_id", sa.Uuid(), nullable=True))
    op.add_column("issuances", sa.Column("facts", postgresql.JSONB(), nullable=True))
    op.create_index(
        op.f("ix_issuances_transfer_id"), "issuances", ["transfer_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_issuances_transfer_id"), table_name="issuances")
    op.drop_column("issuances", "facts")
    op.drop_column("issuances", "transfer_id")
