"""The rules of a record's status, and of its events' key; each stated once, here.

A record is deposited awaiting its content (declared) or stored (inline); awaiting, it becomes
stored when its content is in; either is withdrawn when its transfer is released. Destroyed, its
row goes (destruction/): nothing is left to have a status. While it is awaiting its content or
stored, ingest *holds* it; only a stored one is read by other services (its metadata, content
and demographics)."""

import uuid
from datetime import datetime
from typing import TypeGuard

from sqlalchemy import ColumnElement

from medrec_ingest.models import Record, RecordStatus

HELD = frozenset({RecordStatus.awaiting_content, RecordStatus.stored})
# The moves a record's status may make; nothing comes back from withdrawn.
TRANSITIONS: dict[RecordStatus, frozenset[RecordStatus]] = {
    RecordStatus.awaiting_content: frozenset({RecordStatus.stored, RecordStatus.withdrawn}),
    RecordStatus.stored: frozenset({RecordStatus.withdrawn}),
    RecordStatus.withdrawn: frozenset(),
    RecordStatus.destroyed: frozenset(),
}
# The status a record's content is taken in (its declared content streamed, or given inline).
TAKES_CONTENT = RecordStatus.awaiting_content


def may_become(current: RecordStatus, new: RecordStatus) -> bool:
    return new in TRANSITIONS[current]


def is_held(record: Record) -> bool:
    return record.status in HELD


def held() -> ColumnElement[bool]:
    """`is_held`, in SQL."""
    return Record.status.in_(HELD)


def is_stored(record: Record | None) -> TypeGuard[Record]:
    """Held with its content in: what other services may read."""
    return record is not None and record.status == RecordStatus.stored


def stored() -> ColumnElement[bool]:
    """`is_stored`, in SQL."""
    return Record.status == RecordStatus.stored


def content_taken(record: Record, now: datetime) -> None:
    """The record's content is in (its row then points at it): it is stored as of `now`."""
    assert may_become(record.status, RecordStatus.stored) or record.status == RecordStatus.stored
    record.status, record.stored_at = RecordStatus.stored, now


def event_key(record_id: uuid.UUID, person_key: str | None) -> str:
    """The key of every event about a record: its owner's person key, so one person's events
    stay in order; the record's id while its owner is unknown (deposited without an RRN, not
    linked yet)."""
    return person_key or str(record_id)
