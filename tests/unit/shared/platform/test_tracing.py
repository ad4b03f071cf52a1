"""Traces are off, and cost nothing, unless an OTLP endpoint is set; on, spans reach the endpoint
(OTLP over HTTP) under the service's name, events wrapped in a span carry its `traceparent`, log
lines carry the trace id, and no span leaves with a query string, a path, a header or an
exception's message. Each configuration runs in a process of its own: a tracer provider, once
installed, is the process's for good."""

import json
import os
import subprocess
import sys
import time
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from medrec_shared.platform.tracing import wanted
from medrec_shared.platform.tracing_export import Redacted
from tests.support.otlp import otlp_receiver

PROBE = """
import json, sys
from opentelemetry import trace
from medrec_shared.platform import entrypoints  # what every process imports first
from medrec_shared.platform.logs import configure_logging, get_logger
from medrec_shared.platform.tracing import configure_tracing, current_traceparent, enabled, span
from medrec_shared.platform.envelope import Envelope
from medrec_shared.platform.messaging import kafka_headers
import uuid
from medrec_shared.rules.events import IssuanceRequested

configure_logging("probe")
configure_tracing("medrec-probe")
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from medrec_shared.platform.db import Database
engine = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none").engine  # never connected
from fastapi import FastAPI
from medrec_shared.platform.tracing import instrument_app
app = FastAPI()
instrument_app(app)
state = {
    "app_instrumented": getattr(app, "_is_instrumented_by_opentelemetry", False),
    "sql_listeners": len(engine.sync_engine.dispatch.before_cursor_execute),
    "enabled": enabled(),
    "provider": type(trace.get_tracer_provider()).__name__,
    "sdk_loaded": "opentelemetry.sdk" in sys.modules,
    "httpx_instrumented": HTTPXClientInstrumentor().is_instrumented_by_opentelemetry,
}
with span("probe work", attributes={"medrec.count": 1}):
    get_logger("probe").info("inside")
    state["traceparent"] = current_traceparent()
    event = IssuanceRequested(issuance_id=uuid.uuid4(), record_count=1)
    envelope = Envelope.wrap("issuance", event)
    state["envelope_traceparent"] = envelope.traceparent
    state["headers"] = [k for k, _ in kafka_headers(envelope)]
if enabled():
    from medrec_shared.platform.tracing import _otlp_exporter
    state["exporter"] = type(_otlp_exporter()).__module__
    trace.get_tracer_provider().shutdown()  # exports what is left
print(json.dumps(state))
"""


def probe(env: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Runs PROBE with `env` (and no other OTEL_ variable): its state, and its log lines."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=base | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    state = lines[-1]
    return state, [line for line in lines[:-1] if "message" in line]


def test_traces_are_asked_for_by_an_endpoint_unless_the_sdk_is_disabled() -> None:
    assert not wanted({})
    assert not wanted({"OTEL_SERVICE_NAME": "x", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert wanted({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert not wanted(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}
    )


def test_without_an_endpoint_nothing_is_installed_instrumented_or_carried() -> None:
    state, lines = probe({})
    assert state["enabled"] is False
    assert state["provider"] == "ProxyTracerProvider"  # the API's own: no TracerProvider set
    assert state["sdk_loaded"] is False
    assert state["httpx_instrumented"] is False
    assert state["sql_listeners"] == 0
    assert state["app_instrumented"] is False
    assert state["traceparent"] is None and state["envelope_traceparent"] is None
    assert "traceparent" not in state["headers"]
    inside = next(line for line in lines if line["message"] == "inside")
    assert "trace_id" not in inside and "span_id" not in inside


def test_with_an_endpoint_spans_reach_it_and_events_and_logs_carry_the_trace() -> None:
    with otlp_receiver() as receiver:
        state, lines = probe({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
        deadline = time.monotonic() + 30
        while not receiver.received() and time.monotonic() < deadline:
            time.sleep(0.05)  # shutdown() exported them before the probe ended; this is the HTTP
        spans = receiver.received()
    assert state["enabled"] is True
    assert state["provider"] == "TracerProvider"
    assert state["httpx_instrumented"] is True
    assert state["sql_listeners"] == 1  # one span per statement, not two
    assert state["app_instrumented"] is True
    assert state["exporter"] == "opentelemetry.exporter.otlp.proto.http.trace_exporter"
    work = next(s for s in spans if s.name == "probe work")
    assert work.service == "medrec-probe"
    assert work.attributes == {"medrec.count": 1}
    traceparent = f"00-{work.trace_id}-{work.span_id}-"  # and the flags: sampled, random id
    assert state["traceparent"].startswith(traceparent)
    assert state["envelope_traceparent"] == state["traceparent"]  # wrapped in the span
    assert "traceparent" in state["headers"]
    inside = next(line for line in lines if line["message"] == "inside")
    assert inside["trace_id"] == work.trace_id and inside["span_id"] == work.span_id


def test_the_protocol_and_the_name_are_the_standard_variables() -> None:
    state, _ = probe(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",  # nothing listens: not exported
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_BSP_EXPORT_TIMEOUT": "1000",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "1",
        }
    )
    assert state["exporter"] == "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"


def span_with(attributes: dict[str, Any], events: list[Event]) -> ReadableSpan:
    context = SpanContext(0xABC, 0xDEF, is_remote=False, trace_flags=TraceFlags(1))
    return ReadableSpan(
        name="GET /v1/me/records",
        context=context,
        kind=SpanKind.SERVER,
        attributes=attributes,
        events=events,
        status=Status(StatusCode.ERROR, 'invalid input for query argument $1: "홍길동"'),
    )


def test_no_span_leaves_with_a_query_a_path_a_header_or_an_exceptions_message() -> None:
    kept = InMemorySpanExporter()
    secret = "900101-1234567"
    attributes = {
        "http.route": "/v1/me/records",
        "url.path": f"/share/{secret}",
        "http.target": f"/v1/me/records?q={secret}",
        "url.query": f"q={secret}",
        "url.full": f"http://catalog:8000/v1/me/records?q={secret}",
        "http.url": f"http://catalog:8000/v1/me/records?q={secret}#frag",
        "http.request.header.authorization": [f"Bearer {secret}"],
        "http.response.status_code": 500,
    }
    error = Event(
        "exception",
        {
            "exception.type": "DataError",
            "exception.message": f'invalid input: "{secret}"',
            "exception.stacktrace": f"Traceback ... {secret}",
        },
    )
    Redacted(kept).export([span_with(attributes, [error])])
    (span,) = kept.get_finished_spans()
    assert secret not in repr((span.name, dict(span.attributes or {}), span.status.description))
    assert secret not in repr([(e.name, dict(e.attributes or {})) for e in span.events])
    assert dict(span.attributes or {}) == {
        "http.route": "/v1/me/records",
        "url.full": "http://catalog:8000/v1/me/records",
        "http.url": "http://catalog:8000/v1/me/records",
        "http.response.status_code": 500,
    }
    assert [(e.name, dict(e.attributes or {})) for e in span.events] == [
        ("exception", {"exception.type": "DataError"})
    ]
    assert span.status.status_code == StatusCode.ERROR and not span.status.description
