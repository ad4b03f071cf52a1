"""The requester's person key on issuances (#29): whom a copy_ready or share_opened notice goes
to (the guardian who asked for a child's copy, the Art. 21 requester for a proxy's copy);
older issuances have none and are told nothing.

Revision ID: f1a3c5e7b902
Revises: d0c5a1e28f01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1a3c5e7b902"
down_revision: str | None = "d0c5a1e28f01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "issuances", sa.Column("requester_person_key", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("issuances", "requester_person_key")
