"""linkage of records without an RRN: match keys, verified persons, candidates (issue #14)

Revision ID: a8d2e6f41c37
Revises: c5d1e7a04f21
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a8d2e6f41c37"
down_revision: str | None = "c5d1e7a04f21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("records", sa.Column("match_key", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_records_match_key"), "records", ["match_key"], unique=False)
    op.create_table(
        "linkage_persons",
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("match_key", sa.String(length=64), nullable=False),
        sa.Column("match_key_any_sex", sa.String(length=64), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_key", name=op.f("pk_linkage_persons")),
    )
    op.create_index(
        op.f("ix_linkage_persons_match_key"), "linkage_persons", ["match_key"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_persons_match_key_any_sex"),
        "linkage_persons",
        ["match_key_any_sex"],
        unique=False,
    )
    op.create_table(
        "linkage_candidates",
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("matched_on", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlinked_by", sa.String(length=64), nullable=True),
        sa.Column("unlink_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("candidate_id", name=op.f("pk_linkage_candidates")),
        sa.UniqueConstraint(
            "record_id", "person_key", name=op.f("uq_linkage_candidates_record_id")
        ),
    )
    op.create_index(
        op.f("ix_linkage_candidates_record_id"), "linkage_candidates", ["record_id"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_candidates_status"), "linkage_candidates", ["status"], unique=False
    )


def downgrade() -> None:
    op.drop_table("linkage_candidates")
    op.drop_table("linkage_persons")
    op.drop_index(op.f("ix_records_match_key"), table_name="records")
    op.drop_column("records", "match_key")
