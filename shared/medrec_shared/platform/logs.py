"""structlog JSON logging with a correlation id carried through HTTP and Kafka headers, and the
trace and span ids of the active span when traces are on (`tracing`).

Log lines carry ids, codes and counts only; callers never pass personal data to a logger.
"""

import logging
import re
import sys
import uuid
from contextvars import ContextVar

import structlog

from medrec_shared.platform.tracing import trace_ids

CORRELATION_HEADER = "X-Correlation-ID"
# A caller's correlation id is kept only when it is short and plain: it is repeated in every log
# line, event and header of the flow, so a long one would bloat them all and a made-up one could
# smuggle text (control characters, personal data) into the logs. Anything else gets a new id.
_PLAIN_CORRELATION_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def get_correlation_id() -> str:
    """The current correlation id, creating one when this flow has none yet."""
    value = _correlation_id.get()
    if value is None:
        value = uuid.uuid4().hex
        _correlation_id.set(value)
    return value


def plain_correlation_id(value: str | None) -> str | None:
    """`value` when it may be used as a correlation id as it is, else None."""
    if value is None or not _PLAIN_CORRELATION_ID.fullmatch(value):
        return None
    return value


def set_correlation_id(value: str | None) -> None:
    """The flow's correlation id: `value` (a caller's header, an event's envelope) when it is
    plain, else a new one."""
    _correlation_id.set(plain_correlation_id(value) or uuid.uuid4().hex)


def _add_correlation_id(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    value = _correlation_id.get()
    if value is not None:
        event.setdefault("correlation_id", value)
    return event


def _add_trace_ids(
    _logger: object, _method: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    ids = trace_ids()  # None at once when traces are off
    if ids is not None:
        event.setdefault("trace_id", ids[0])
        event.setdefault("span_id", ids[1])
    return event


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout for every logger, stdlib ones (uvicorn, aiokafka) included."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_correlation_id,
        _add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.EventRenamer("message"),
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log prints full URLs with query strings; our middleware logs paths instead.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
