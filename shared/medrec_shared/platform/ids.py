"""Identifiers: UUIDv7 (time-ordered, good index locality) for events and entities."""

import uuid

import uuid_utils


def new_id() -> uuid.UUID:
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)
