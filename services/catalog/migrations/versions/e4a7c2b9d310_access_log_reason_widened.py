"""access_log.reason widened from 200 to 1000 characters (issue #25): an operator's review reason
(up to 500, with its "approved: " or "rejected: ") must arrive whole in the patient's access
history, never overflow it and leave the event parked as a dead letter.

Revision ID: e4a7c2b9d310
Revises: d7e3f9a1b254
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e4a7c2b9d310"
down_revision: str | None = "d7e3f9a1b254"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Widening a VARCHAR is a catalog-only change in PostgreSQL: no table rewrite.
    op.alter_column(
        "access_log",
        "reason",
        existing_type=sa.String(length=200),
        type_=sa.String(length=1000),
        existing_nullable=True,
    )


def downgrade() -> None:
    op.alter_column(
        "access_log",
        "reason",
        existing_type=sa.String(length=1000),
        type_=sa.String(length=200),
        existing_nullable=True,
        postgresql_using="left(reason, 200)",
    )
