"""Which failures count towards an event's attempts, and how they are described to operators.

A dependency that is away (the database, the broker, another service's API answering 5xx or
429) is not the event's fault: the event waits for it, as every event behind it would, and does
not count. Anything else (a payload that does not validate, a rule that refuses the event, a
bug) counts; `EventRefused` parks at once, since trying again cannot change the answer."""

import httpx
import urllib3
from aiokafka.errors import KafkaError
from minio.error import S3Error
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

TRANSIENT: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    httpx.TransportError,
    urllib3.exceptions.HTTPError,  # the object store (minio's client) unreachable
    KafkaError,
    OperationalError,
    InterfaceError,
)
ERROR_MAX = 300


class EventRefused(Exception):
    """An event that is not to be applied, ever (a forged or early one). Its message is shown to
    operators: write it without personal data or anything the sender chose."""


class UnreadableEvent(EventRefused):
    """The message is no event envelope."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    if isinstance(exc, S3Error):
        return exc.code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, TRANSIENT)


def describe(exc: BaseException) -> tuple[str, str]:
    """(error type, message) with no personal data: our own messages, or what kind of failure
    it was, never an exception's text (pydantic's quotes the input, SQL errors their
    parameters)."""
    kind = type(exc).__name__[:100]
    if isinstance(exc, EventRefused):
        message = str(exc)
    elif isinstance(exc, ValidationError):
        types = sorted({str(error["type"]) for error in exc.errors()})
        message = f"the payload is not valid: {exc.error_count()} error(s): {', '.join(types)}"
    elif isinstance(exc, httpx.HTTPStatusError):
        message = f"a dependency answered HTTP {exc.response.status_code}"
    else:
        message = "the handler raised it; see the worker's log by event id"
    return kind, message[:ERROR_MAX]
