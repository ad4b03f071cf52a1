"""What leaves the process in a span (loaded only when traces are on: see `tracing`): never
personal data or a secret, whatever an instrumentation recorded. The exporter is handed spans
with no path (a share link's token is one), no query string (a search term), no header, no
exception message or stack (a database error quotes its input) and no status description (the
instrumentations copy the exception's message there)."""

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status

# What may hold personal data or a secret, whatever instrumentation recorded it: the path (a
# share link's token), the query (a search term), headers.
_DROPPED = frozenset({"url.path", "url.query", "http.target"})
_DROPPED_PREFIXES = ("http.request.header.", "http.response.header.")
_WITHOUT_QUERY = frozenset({"url.full", "http.url"})


def redact_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """`attributes` without what may hold personal data or a secret (see `_DROPPED`), the full
    URLs cut at their query."""
    kept: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if key in _DROPPED or key.startswith(_DROPPED_PREFIXES):
            continue
        if key in _WITHOUT_QUERY and isinstance(value, str):
            value = value.split("?", 1)[0].split("#", 1)[0]
        kept[key] = value
    return kept


class Redacted(SpanExporter):
    """Hands `exporter` the spans without what may hold personal data: the attributes as
    `redact_attributes` leaves them; exception events with their type only (a message or a stack
    may quote a value: a database error quotes its input); no status description (the
    instrumentations put the exception's message there)."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([_redact(s) for s in spans])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)


def _redact(span: ReadableSpan) -> ReadableSpan:
    events = []
    for event in span.events:
        attributes = redact_attributes(event.attributes)
        if event.name == "exception":
            attributes = {k: v for k, v in attributes.items() if k == "exception.type"}
        events.append(Event(event.name, attributes, event.timestamp))
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=redact_attributes(span.attributes),
        events=events,
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
