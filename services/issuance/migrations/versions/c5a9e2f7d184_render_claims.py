"""render claims: a copy is claimed (pending → rendering, with a lease) in one short transaction,
rendered with no transaction open, and its outcome recorded under that claim in another (issue
#26, item 5)

Revision ID: c5a9e2f7d184
Revises: e7b2c4d9a013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5a9e2f7d184"
down_revision: str | None = "e7b2c4d9a013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("issuances", sa.Column("render_claim", sa.Uuid(), nullable=True))
    op.add_column(
        "issuances", sa.Column("render_lease_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "issuances",
        sa.Column("render_failures", sa.Integer(), server_default="0", nullable=False),
    )
    op.create_index(
        "ix_issuances_to_render",
        "issuances",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'rendering')"),
    )


def downgrade() -> None:
    # A copy claimed when the schema goes back is pending again: the old worker renders it.
    op.execute("UPDATE issuances SET status = 'pending' WHERE status = 'rendering'")
    op.drop_index("ix_issuances_to_render", table_name="issuances")
    op.drop_column("issuances", "render_failures")
    op.drop_column("issuances", "render_lease_until")
    op.drop_column("issuances", "render_claim")
