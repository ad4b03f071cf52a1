"""Document types on issuances, and shares of issued documents

Revision ID: d0c5a1e28f01
Revises: a2c4e6f8b031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d0c5a1e28f01"
down_revision: str | None = "a2c4e6f8b031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "issuances",
        sa.Column(
            "document_type", sa.String(length=32), nullable=False, server_default="record_copy"
        ),
    )
    op.add_column("issuances", sa.Column("institution_code", sa.String(length=8), nullable=True))
    op.add_column("issuances", sa.Column("period_from", sa.Date(), nullable=True))
    op.add_column("issuances", sa.Column("period_to", sa.Date(), nullable=True))
    op.add_column(
        "issuances",
        sa.Column(
            "include_diagnoses", sa.Boolean(), nullable=False, server_default=sa.text("false")
        ),
    )
    op.create_table(
        "shares",
        sa.Column("share_id", sa.Uuid(), nullable=False),
        sa.Column("issuance_id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("token_digest", sa.String(length=128), nullable=False),
        sa.Column("access_code_digest", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloads", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("share_id"),
        sa.UniqueConstraint("token_digest"),
    )
    op.create_index("ix_shares_issuance_id", "shares", ["issuance_id"])


def downgrade() -> None:
    op.drop_index("ix_shares_issuance_id", table_name="shares")
    op.drop_table("shares")
    for column in ("include_diagnoses", "period_to", "period_from", "institution_code"):
        op.drop_column("issuances", column)
    op.drop_column("issuances", "document_type")
