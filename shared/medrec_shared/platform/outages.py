"""Which failures mean a dependency is away (the database restarting, the object store down),
not a fault of the request nor of the code: the one place that says so, for the APIs' problems
(503 with Retry-After, `medrec_shared.platform.problems`) and the front doors' pages alike.

An exception is looked at with the ones it was raised from (`raise … from`, as SQLAlchemy wraps
the driver's), never with those it merely happened while handling: a bug in an `except` block
stays a bug (500)."""

import socket
from typing import Literal

import asyncpg
import urllib3
from minio.error import S3Error, ServerError
from sqlalchemy import exc as sa

from medrec_shared.platform.s3put import StoreUnreachable

Dependency = Literal["database", "storage", "network"]

# What a client is told to wait before trying again: an outage rides out in a few tries.
RETRY_AFTER_SECONDS = 5
_DEPTH = 8  # links of `__cause__` followed; more is a loop or a wrapper of a wrapper

_DATABASE: tuple[type[BaseException], ...] = (
    sa.OperationalError,  # the server closed the connection, or could not be reached
    sa.InterfaceError,  # the connection is closed
    sa.DisconnectionError,
    sa.TimeoutError,  # no connection free in the pool in time: the server is slow or away
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.exceptions.AdminShutdownError,  # terminating connection: a fast shutdown
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.InterfaceError,  # connection closed mid-operation
)
_STORAGE_CODES = frozenset({"SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"})
_NETWORK: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, socket.gaierror)
# The exception types an outage shows up as, for handlers registered by type: each still asks
# `unavailable_dependency` (an IntegrityError is a SQLAlchemyError, and no outage).
RAISED_AS: tuple[type[Exception], ...] = (
    sa.SQLAlchemyError,
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    urllib3.exceptions.HTTPError,
    S3Error,
    ServerError,
    OSError,
)


def _one(error: BaseException) -> Dependency | None:
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return "database"
    if isinstance(error, _DATABASE):
        return "database"
    if isinstance(error, urllib3.exceptions.HTTPError | ServerError):
        return "storage"  # minio's client: refused, reset, or the server's 5xx after retries
    if isinstance(error, StoreUnreachable):
        return "storage"  # the small PUT's client (platform.s3put), after its retries
    if isinstance(error, S3Error) and error.code in _STORAGE_CODES:
        return "storage"
    if isinstance(error, _NETWORK):
        return "network"  # a driver's connect that raised the socket's error as it was
    return None


def unavailable_dependency(error: BaseException) -> Dependency | None:
    """The dependency `error` says is away, or None when it is not an outage."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < _DEPTH:
        if isinstance(current, BaseExceptionGroup):  # a task group's (a streamed body's)
            found = [unavailable_dependency(inner) for inner in current.exceptions]
            return found[0] if found and all(found) else None
        if (dependency := _one(current)) is not None:
            return dependency
        current, seen = current.__cause__, seen + 1
    return None
