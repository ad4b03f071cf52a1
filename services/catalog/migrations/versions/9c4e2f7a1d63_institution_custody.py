"""institution custody: every closed clinic with who holds its records (#29)

Adds the custody columns, the source of each row (a deposit, or the HIRA closure data), the
natural key of an imported closure without a 요양기관기호, the open transfer, and the sequence
that numbers imported closures (9xxxxxxx: a range no 요양기관기호 uses).

Revision ID: 9c4e2f7a1d63
Revises: a4c8e2f6b913
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c4e2f7a1d63"
down_revision: str | None = "a4c8e2f6b913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "institutions",
        sa.Column("custody_status", sa.String(16), nullable=False, server_default="unknown"),
    )
    op.add_column("institutions", sa.Column("custody_holder", sa.String(200), nullable=True))
    op.add_column("institutions", sa.Column("custody_contact", sa.String(200), nullable=True))
    op.add_column("institutions", sa.Column("custody_updated_by", sa.String(64), nullable=True))
    op.add_column("institutions", sa.Column("custody_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "institutions",
        sa.Column("source", sa.String(16), nullable=False, server_default="deposit"),
    )
    op.add_column("institutions", sa.Column("hira_key", sa.String(64), nullable=True))
    op.create_unique_constraint("uq_institutions_hira_key", "institutions", ["hira_key"])
    op.add_column("institutions", sa.Column("open_transfer_id", sa.Uuid(), nullable=True))
    op.execute("CREATE SEQUENCE institution_import_codes START 90000000 MAXVALUE 99999999")


def downgrade() -> None:
    op.execute("DROP SEQUENCE IF EXISTS institution_import_codes")
    for column in (
        "open_transfer_id",
        "hira_key",
        "source",
        "custody_updated_at",
        "custody_updated_by",
        "custody_contact",
        "custody_holder",
        "custody_status",
    ):
        op.drop_column("institutions", column)
