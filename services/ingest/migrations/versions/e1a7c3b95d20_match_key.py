"""match key of records without an RRN (issue #14)

Revision ID: e1a7c3b95d20
Revises: d3a9f0b6c812
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1a7c3b95d20"
down_revision: str | None = "d3a9f0b6c812"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("records", sa.Column("match_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("records", "match_key")
