"""records partitioned by the hash of person_key (16 partitions), for a national catalog

A person's list and summary, the citizen's read path, filter on person_key: with the table
split by its hash, each plan prunes to one partition of 1/16 the rows (its index a level
shallower at 100 M records, its vacuum a sixteenth of the table's). Looked up by record_id
alone (another service's read, destruction, linkage, retention) a record is found by one
index probe per partition; where the person is known the statement names them and prunes.

PostgreSQL requires every column of the partition key in a partitioned table's unique
constraints, and person_key is NULL for a record without an RRN (until linkage links it), so
the parent has no primary key: each partition has its own on record_id. A record_id is unique
within a partition by its key and across them by its one RecordStored (the inbox applies each
once); a record linked later moves to its person's partition (UPDATE moves the row).

The counts (`institution_record_counts`) stay with statement triggers on the parent, whose
transition tables hold the rows of every partition the statement touched (PostgreSQL allows
transition tables on a partitioned table's statement triggers, not on row triggers).

The rows move in one INSERT … SELECT and the indexes are built after it; the counts already
hold them (the old table's triggers kept them), so the new triggers are created last.

Revision ID: e7b4d2a9c615
Revises: d9f1b3c5e742
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e7b4d2a9c615"
down_revision: str | None = "d9f1b3c5e742"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTITIONS = 16

# The secondary indexes of records, the same on both layouts (on the parent they are
# partitioned indexes: one per partition, made and named by PostgreSQL).
_INDEXES = (
    "CREATE INDEX ix_records_person_page ON records "
    "(person_key, status, service_end DESC, record_id DESC)",
    "CREATE INDEX ix_records_match_key ON records (match_key)",
    "CREATE INDEX ix_records_retention_until ON records (retention_until)",
    "CREATE INDEX ix_records_status ON records (status)",
)
_TRIGGERS = {
    "inserted": ("INSERT", "REFERENCING NEW TABLE AS new_records"),
    "deleted": ("DELETE", "REFERENCING OLD TABLE AS old_records"),
    "updated": ("UPDATE", "REFERENCING OLD TABLE AS old_records NEW TABLE AS new_records"),
    "truncated": ("TRUNCATE", ""),
}


def _count_triggers() -> None:
    """The counting functions of d7e3f9a1b254, on the new table."""
    for name, (event, transition) in _TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER records_counted_{name} AFTER {event} ON records {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION records_counted_{name}()"
        )


def _moved(new_table: str) -> None:
    op.execute("ALTER TABLE records RENAME TO records_before")
    op.execute(new_table)


def upgrade() -> None:
    _moved(
        "CREATE TABLE records (LIKE records_before INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY HASH (person_key)"
    )
    for n in range(PARTITIONS):
        op.execute(
            f"CREATE TABLE records_p{n:02d} PARTITION OF records "
            f"FOR VALUES WITH (MODULUS {PARTITIONS}, REMAINDER {n})"
        )
    op.execute("INSERT INTO records SELECT * FROM records_before")
    op.execute("DROP TABLE records_before")  # its indexes and triggers with it
    for n in range(PARTITIONS):
        op.execute(
            f"ALTER TABLE records_p{n:02d} "
            f"ADD CONSTRAINT pk_records_p{n:02d} PRIMARY KEY (record_id)"
        )
    for index in _INDEXES:
        op.execute(index)
    _count_triggers()


def downgrade() -> None:
    _moved("CREATE TABLE records (LIKE records_before INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("INSERT INTO records SELECT * FROM records_before")
    op.execute("DROP TABLE records_before")  # its partitions with it
    op.execute("ALTER TABLE records ADD CONSTRAINT pk_records PRIMARY KEY (record_id)")
    for index in _INDEXES:
        op.execute(index)
    _count_triggers()
