"""OpenTelemetry traces, configured by the standard `OTEL_*` variables, and off unless an OTLP
endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`).

Off, it costs nothing: no SDK is imported, no tracer provider installed, no library
instrumented, and every helper here returns at its first line (`enabled()` is a module flag).
On: OTLP over HTTP (protobuf) or, with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, gRPC; FastAPI server
spans named by route template (never a path with an id), httpx client spans (which carry the
`traceparent` to the service called), SQLAlchemy spans (the statement as written, its bound
values never: they go to the driver apart), and the events' own spans (`messaging`: the relay's
publish, the consumer's process, a child of the `traceparent` the event was announced under).

No span leaves the process with personal data in it: whatever the libraries record, the
exporter is handed spans with no query string, no path (a share link's token is one), no
header, no exception message or stack (they may quote a value) and no status description
(`tracing_export.Redacted`)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace.export import SpanExporter
    from sqlalchemy.ext.asyncio import AsyncEngine

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
# Routes traced by nobody: probes and scrapes, every few seconds, say nothing about a request.
_EXCLUDED_URLS = "/healthz,/readyz,/metrics"
_PROPAGATOR = TraceContextTextMapPropagator()
_enabled = False


def wanted(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether `environ` asks for traces: an OTLP endpoint set, the SDK not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    return any(environ.get(name, "").strip() for name in _ENDPOINTS)


def enabled() -> bool:
    return _enabled


def configure_tracing(service_name: str) -> None:
    """Traces for this process as `service_name` (unless `OTEL_SERVICE_NAME` or
    `OTEL_RESOURCE_ATTRIBUTES` names it), when the environment asks for them; nothing
    otherwise. Called once, first thing, by each entrypoint."""
    global _enabled
    if _enabled or not wanted():
        return
    # Imported here: a process without traces never loads the SDK or the instrumentations.
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from medrec_shared.platform.tracing_export import Redacted

    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: service_name}))
    provider = TracerProvider(resource=resource)  # OTEL_TRACES_SAMPLER and the limits: its own
    provider.add_span_processor(BatchSpanProcessor(Redacted(_otlp_exporter())))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    _enabled = True


def trace_engine(engine: AsyncEngine) -> None:
    """The engine's statements as CLIENT spans (`db.statement`: the SQL as sent, its bound
    values apart), when traces are on. Each engine is given its listener here, once, rather than
    by the instrumentor's wrapping of `create_engine`: that wraps the functions SQLAlchemy's
    modules imported before it ran, or not, and declares SQLAlchemy < 2.1 (its engine events
    are 2.1's too: tests/e2e/test_traces.py sees the statements).

    A statement is a span only inside another (a request, an event's handling, a render): the
    relay's and the sweeps' polls, every fraction of a second, would each be a trace of one
    statement, burying the ones that say something."""
    if not _enabled:
        return
    from opentelemetry import metrics
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    # The instrumentation counts connections too; with no meter provider set, it counts nothing.
    usage = metrics.get_meter("medrec").create_up_down_counter("db.client.connections.usage")
    tracer = _ChildrenOnly(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy"))
    EngineTracer(tracer, engine.sync_engine, usage)


class _ChildrenOnly:
    """A tracer whose spans are only ever children: with no span active, `start_span` gives
    a span that records nothing (and is exported by no one)."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> Span:
        if not trace.get_current_span().get_span_context().is_valid:
            return trace.INVALID_SPAN
        return self._tracer.start_span(name, *args, **kwargs)


def _otlp_exporter() -> SpanExporter:
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "")
    )
    if protocol.strip().lower() == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        return GrpcExporter()  # endpoint, headers, timeout, TLS: from the OTEL_* variables
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def instrument_app(app: FastAPI) -> None:
    """Server spans for `app`, named by route template, the probes and /metrics left out."""
    if not _enabled:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # No spans for each body chunk received or sent: one span per request.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=_EXCLUDED_URLS, exclude_spans=["receive", "send"]
    )


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the span active now, or None (none active, or traces off)."""
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def _context_of(traceparent: str | None) -> otel_context.Context | None:
    if not traceparent:
        return None
    return _PROPAGATOR.extract({"traceparent": traceparent})


@contextmanager
def span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: str | None = None,
    attributes: Mapping[str, str | int] | None = None,
) -> Iterator[None]:
    """A span around the block, the child of `parent` (a `traceparent`; the span active now when
    None); nothing when traces are off. `name` and `attributes` are ids, types and counts only."""
    if not _enabled:
        yield
        return
    tracer = trace.get_tracer("medrec")
    with tracer.start_as_current_span(
        name, context=_context_of(parent), kind=kind, attributes=attributes
    ):
        yield


def start_span(
    name: str,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: str | None = None,
    attributes: Mapping[str, str | int] | None = None,
) -> Span | None:
    """A span started now and not made current, the child of `parent` (a `traceparent`), for
    the caller to end; None when traces are off."""
    if not _enabled:
        return None
    tracer = trace.get_tracer("medrec")
    return tracer.start_span(name, context=_context_of(parent), kind=kind, attributes=attributes)


def trace_ids() -> tuple[str, str] | None:
    """The active span's trace and span ids in hex, for a log line; None when none is."""
    if not _enabled:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
