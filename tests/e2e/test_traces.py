"""One deposit is one trace, from ingest's API through the outbox and the broker into catalog's
handler and its statements; one copy is one trace, from the citizen's click in the portal
(driven over HTTP: sign-in, then the records page's form) through issuance's API and the
IssuanceRequested event to the worker's render. Ingest's log lines carry the trace id. No span
names a person, holds an RRN or a name (the portal's sign-in posts both), or is named by a path
with an id in it.

The processes involved are restarted with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a receiver
in this test's process (`tests.support.otlp`), and restarted again without it at the end: the
shared stack is left as it was found."""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.otlp import OtlpReceiver, ReceivedSpan, otlp_receiver

RRN, NAME, BIRTH, PHONE = "850707-1357913", "추적정", "1985-07-07", "010-7007-0031"
pytestmark = pytest.mark.e2e

SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5  # OTLP's span kinds
TRACED = [
    ("identity", "api"),
    ("ingest", "api"),
    ("ingest", "worker"),
    ("catalog", "api"),
    ("catalog", "worker"),
    ("issuance", "api"),
    ("issuance", "worker"),
]
ID_IN_PATH = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-|/\d{3,}")


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SANDBOX_CODE = re.compile(r'id="sandbox-code">\s*(\d{6})\s*<')


def restart(cluster: Cluster, env: dict[str, str] | None) -> None:
    cluster.stop_process("portal", "api")
    for service, role in TRACED:
        cluster.stop_process(service, role)
    for service, role in TRACED:
        cluster.start_process(service, role, env)
    for service in {service for service, role in TRACED if role == "api"}:
        cluster.wait_ready(service)
    cluster.start_portal(env)


def csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def copy_from_the_portal(cluster: Cluster, record_id: str) -> str:
    """Signs in to the portal as the citizen and asks for a copy of `record_id` as its records
    page's form does; the copy's id."""
    with httpx.Client(base_url=cluster.url("portal"), follow_redirects=True, timeout=60) as portal:
        form = portal.get("/signin")
        person = {"name": NAME, "rrn": RRN, "phone": PHONE}
        code_page = portal.post("/signin", data=person | {"csrf_token": csrf(form)})
        assert code_page.status_code == 200, code_page.text[:500]
        code = SANDBOX_CODE.search(code_page.text)
        assert code, code_page.text[:500]
        records = portal.post(
            "/signin/code", data={"code": code.group(1), "csrf_token": csrf(code_page)}
        )
        assert records.url.path == "/records" and record_id in records.text
        asked = portal.post(
            "/copies",
            data={"record_ids": record_id, "csrf_token": csrf(records)},
            follow_redirects=False,
        )
        assert asked.status_code == 303, asked.text[:500]
        return asked.headers["location"].rsplit("/", 1)[-1]


@contextmanager
def traced(cluster: Cluster) -> Iterator[OtlpReceiver]:
    with otlp_receiver() as receiver:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
            "OTEL_BSP_SCHEDULE_DELAY": "100",  # exported within a moment, not every 5 s
            # Copies are made when their event wakes the worker, not by a sweep that might
            # come first (a copy a sweep finds starts a trace of its own).
            "MEDREC_ISSUANCE_RENDER_SWEEP_SECONDS": "3600",
        }
        restart(cluster, env)
        try:
            yield receiver
        finally:
            restart(cluster, None)


def one(spans: list[ReceivedSpan], what: str, **match: object) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, k) == v for k, v in match.items())]
    assert len(found) == 1, (what, [(s.service, s.name) for s in spans])
    return found[0]


def test_a_deposit_and_a_copy_are_each_one_trace_across_services(cluster: Cluster) -> None:
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "추적의원")
    citizen = Citizen(cluster, NAME, RRN, phone=PHONE)
    with traced(cluster) as receiver:
        stored = vendor.put_record(
            transfer, "trace-1", record_body(RRN, NAME, BIRTH, inline(b"note", "text/plain"))
        )
        assert stored.status_code == 201, stored.text
        record_id = stored.json()["record_id"]
        eventually(citizen.records, what="the record in catalog")

        # The deposit: ingest's PUT, its event relayed, catalog's handler and its statements.
        def deposit_traced() -> list[ReceivedSpan] | None:
            spans = receiver.received()
            handled = [
                s for s in spans
                if s.service == "medrec-catalog-worker" and s.name == "RecordStored process"
            ]  # fmt: skip
            return spans if handled else None

        spans = eventually(deposit_traced, timeout=60, what="catalog's handler span")
        put = one(
            spans,
            "ingest's PUT",
            service="medrec-ingest",
            kind=SERVER,
            name="PUT /v1/transfers/{transfer_id}/records/{external_id}",
        )
        trace = put.trace_id

        def whole_deposit() -> list[ReceivedSpan] | None:
            spans = [s for s in receiver.received() if s.trace_id == trace]
            services = {s.service for s in spans}
            wanted = {"medrec-ingest", "medrec-ingest-worker", "medrec-catalog-worker"}
            return spans if wanted <= services else None

        deposit = eventually(whole_deposit, timeout=60, what="the deposit's trace")
        catalog = "medrec-catalog-worker"
        handler = one(deposit, "catalog's handler", service=catalog, name="RecordStored process")
        assert handler.kind == CONSUMER
        assert handler.attributes["messaging.consumer.group.name"] == "catalog"
        publish = [s for s in deposit if s.kind == PRODUCER]
        assert publish and all(s.service == "medrec-ingest-worker" for s in publish)
        statements = [s for s in deposit if s.service == catalog and s.kind == CLIENT]
        assert statements, "catalog's SQL in the deposit's trace"
        for statement in statements:  # as written, with placeholders: never a bound value
            text = str(statement.attributes.get("db.statement") or "")
            assert text and RRN not in text and NAME not in text, statement
        by_id = {s.span_id: s for s in deposit}
        assert any(by_id.get(s.parent_span_id) is handler for s in statements)

        # Ingest's log lines carry the trace id.
        log = (cluster.logs / "ingest-api.log").read_text(encoding="utf-8")
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(line.get("trace_id") == trace for line in lines)

        # A copy: the portal's click, issuance's API, the event, the worker's render (and
        # catalog's API, asked for the records).
        issuance_id = copy_from_the_portal(cluster, record_id)
        assert citizen.wait_ready(issuance_id)["status"] == "ready"

        def copy_traced() -> list[ReceivedSpan] | None:
            spans = receiver.received()
            clicks = [s for s in spans if s.service == "medrec-portal" and s.name == "POST /copies"]
            if not clicks:
                return None
            rendered = [
                s for s in spans if s.name == "copy render" and s.trace_id == clicks[0].trace_id
            ]
            return spans if rendered else None

        spans = eventually(copy_traced, timeout=60, what="the copy's render in its trace")
        click = one(spans, "the portal's click", service="medrec-portal", name="POST /copies")
        copy = [s for s in spans if s.trace_id == click.trace_id]
        post = one(copy, "issuance's POST", service="medrec-issuance", name="POST /v1/issuances")
        assert post.kind == SERVER
        render = one(copy, "the render", name="copy render")
        assert render.service == "medrec-issuance-worker"
        assert render.attributes["medrec.issuance_id"] == issuance_id
        assert [s for s in copy if s.service == "medrec-catalog" and s.kind == SERVER], (
            "issuance's call to catalog's API in the copy's trace"
        )

        # Nothing personal, no probe, no path with an id, anywhere; no statement alone in a
        # trace of its own (the relays' and sweeps' polls are not traced).
        everything = receiver.received()
        assert all(s.parent_span_id for s in everything if "db.statement" in s.attributes)
        for span in everything:
            text = span.text()
            for secret in (RRN, RRN.replace("-", ""), NAME, PHONE, BIRTH):
                assert secret not in text, (secret, span)
            assert not ID_IN_PATH.search(span.name), span.name
            assert "?" not in str(span.attributes.get("url.full", "")), span
            assert span.attributes.get("http.route") not in ("/healthz", "/readyz", "/metrics")
        assert transfer not in repr([s.name for s in everything])
