"""segments: a batch group's records in one object, each record found by its span (issue #16)

Revision ID: f2b8d4e6a913
Revises: e1a7c3b95d20
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f2b8d4e6a913"
down_revision: str | None = "e1a7c3b95d20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("records", sa.Column("content_offset", sa.BigInteger(), nullable=True))
    op.add_column("records", sa.Column("content_length", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_records_segment",
        "records",
        ["object_key"],
        postgresql_where=sa.text("content_offset IS NOT NULL"),
    )
    op.create_table(
        "segments",
        sa.Column("object_key", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("object_key", name=op.f("pk_segments")),
    )


def downgrade() -> None:
    op.drop_table("segments")
    op.drop_index("ix_records_segment", table_name="records")
    op.drop_column("records", "content_length")
    op.drop_column("records", "content_offset")
