"""staff accounts (#27): the audit trail of staff acts, and linkage approvals proposed by one
reviewer before another confirms them

Revision ID: b3f7a9c2d415
Revises: e4a7c2b9d310
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b3f7a9c2d415"
down_revision: str | None = "e4a7c2b9d310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "linkage_candidates", sa.Column("proposed_by", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "linkage_candidates",
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "linkage_candidates", sa.Column("proposal_reason", sa.String(length=500), nullable=True)
    )
    op.create_table(
        "staff_audit",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("roles", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("act", sa.String(length=64), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("subject_person_key", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_staff_audit")),
    )
    for column in ("occurred_at", "actor", "act", "resource_id", "subject_person_key"):
        op.create_index(op.f(f"ix_staff_audit_{column}"), "staff_audit", [column], unique=False)


def downgrade() -> None:
    for column in ("occurred_at", "actor", "act", "resource_id", "subject_person_key"):
        op.drop_index(op.f(f"ix_staff_audit_{column}"), table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_column("linkage_candidates", "proposal_reason")
    op.drop_column("linkage_candidates", "proposed_at")
    op.drop_column("linkage_candidates", "proposed_by")
