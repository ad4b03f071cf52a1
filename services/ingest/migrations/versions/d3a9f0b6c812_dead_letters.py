"""dead letters: events the worker could not apply, parked for an operator (issue #12, item 5)

Revision ID: d3a9f0b6c812
Revises: 83b7ef2698f8
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3a9f0b6c812"
down_revision: str | None = "83b7ef2698f8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("kafka_partition", sa.Integer(), nullable=False),
        sa.Column("kafka_offset", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("event_type", sa.String(length=100), nullable=True),
        sa.Column("producer", sa.String(length=100), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_type", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="parked", nullable=False),
        sa.Column(
            "parked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("retry_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retried_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint(
            "consumer", "topic", "kafka_partition", "kafka_offset",
            name=op.f("uq_dead_letters_consumer"),
        ),  # fmt: skip
    )
    op.create_index(
        op.f("ix_dead_letters_consumer"), "dead_letters", ["consumer", "status", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dead_letters_consumer"), table_name="dead_letters")
    op.drop_table("dead_letters")
