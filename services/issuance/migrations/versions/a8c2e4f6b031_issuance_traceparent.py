"""The trace a copy was asked in (#31): its render, by whichever worker and however late, joins
that trace. Only a W3C traceparent (ids, no personal data); empty with traces off.

Revision ID: a8c2e4f6b031
Revises: f3b7d1c9e254
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a8c2e4f6b031"
down_revision: str | None = "f3b7d1c9e254"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("issuances", sa.Column("traceparent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("issuances", "traceparent")
