"""notices (#29): the people who have signed in, their 알림함, their choices of what is sent, and
the sent log

Revision ID: c8e2f4a6b901
Revises: b3f7a9c2d415
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c8e2f4a6b901"
down_revision: str | None = "b3f7a9c2d415"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice_people",
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("first_seen_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("person_key"),
    )
    op.create_table(
        "notices",
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("notice_key", sa.String(length=120), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("read_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("notice_id"),
        sa.UniqueConstraint("person_key", "notice_key"),
    )
    op.create_index(
        "ix_notices_person_page", "notices", ["person_key", sa.text("notice_id DESC")]
    )
    op.create_table(
        "notice_preferences",
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("send", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("person_key", "kind"),
    )
    op.create_table(
        "notice_deliveries",
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", _AT, nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("sent_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("notice_id"),
    )
    op.create_index("ix_notice_deliveries_status", "notice_deliveries", ["status"])


def downgrade() -> None:
    op.drop_index("ix_notice_deliveries_status", table_name="notice_deliveries")
    op.drop_table("notice_deliveries")
    op.drop_table("notice_preferences")
    op.drop_index("ix_notices_person_page", table_name="notices")
    op.drop_table("notices")
    op.drop_table("notice_people")
