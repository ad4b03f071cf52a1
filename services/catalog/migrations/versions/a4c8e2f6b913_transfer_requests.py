"""transfer requests: a citizen's 이관 요청 of a clinic not held here (issue #29, item 2)

Revision ID: a4c8e2f6b913
Revises: c8e2f4a6b901
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c8e2f6b913"
down_revision: str | None = "c8e2f4a6b901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transfer_requests",
        sa.Column("institution_code", sa.String(length=8), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "institution_code", "person_key", name=op.f("pk_transfer_requests")
        ),
    )
    op.create_index(
        op.f("ix_transfer_requests_person_key"), "transfer_requests", ["person_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_transfer_requests_person_key"), table_name="transfer_requests")
    op.drop_table("transfer_requests")
