"""The dead-letter table, one per consuming service (beside its inbox), and its statuses."""

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
)


class DeadLetterStatus(StrEnum):
    parked = "parked"
    retry_requested = "retry_requested"  # by an operator; the worker picks it up
    retried = "retried"  # applied (or found applied already) on a retry


def dead_letter_table(metadata: MetaData) -> Table:
    return Table(
        "dead_letters",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("consumer", String(100), nullable=False),
        Column("topic", String(200), nullable=False),
        Column("kafka_partition", Integer, nullable=False),
        Column("kafka_offset", BigInteger, nullable=False),
        Column("event_id", Uuid, nullable=True),  # None: the message was no envelope
        Column("event_type", String(100), nullable=True),
        Column("producer", String(100), nullable=True),
        Column("attempts", Integer, nullable=False),
        Column("error_type", String(100), nullable=False),
        Column("error", String(300), nullable=False),
        Column("message", LargeBinary, nullable=False),
        Column("status", String(16), nullable=False, server_default=DeadLetterStatus.parked),
        Column("parked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("retry_requested_at", DateTime(timezone=True), nullable=True),
        Column("retried_at", DateTime(timezone=True), nullable=True),
        # A redelivery after a crash between parking and the offset commit parks nothing twice.
        UniqueConstraint("consumer", "topic", "kafka_partition", "kafka_offset"),
        Index(None, "consumer", "status", "id"),
    )
