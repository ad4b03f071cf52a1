"""institution name trigram index: `q` matches any part of a Korean name without a full scan

Revision ID: 2a1d0c7e9b11
Revises: f6cc13babc7a
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2a1d0c7e9b11"
down_revision: str | None = "f6cc13babc7a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        "CREATE INDEX ix_institutions_name_trgm ON institutions USING gin (name gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_institutions_name_trgm")
