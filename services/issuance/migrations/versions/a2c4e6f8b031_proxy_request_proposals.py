"""staff accounts (#27): an Art. 21 approval proposed by one reviewer before another confirms it

Revision ID: a2c4e6f8b031
Revises: c5a9e2f7d184
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a2c4e6f8b031"
down_revision: str | None = "c5a9e2f7d184"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("proxy_requests", sa.Column("proposed_by", sa.String(length=64), nullable=True))
    op.add_column(
        "proxy_requests", sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "proxy_requests", sa.Column("proposal_reason", sa.String(length=500), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("proxy_requests", "proposal_reason")
    op.drop_column("proxy_requests", "proposed_at")
    op.drop_column("proxy_requests", "proposed_by")
