"""The metrics that answer the on-call questions (issue #31, item 2; CONTRACT31.md's table), on the
real stack: each on the endpoint that serves it with its labels; the outbox backlog and the
consumer lag rising while catalog's worker is stopped, and falling back once it runs again; a
worker's /healthz; a rate-limit refusal counted by the limit's name; and no RRN or name in any
/metrics body."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from medrec_devstack.cluster import CONSOLE, PORTAL, SERVICES, Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body

RRN, NAME, BIRTH = "731212-1597534", "야간당직", "1973-12-12"
RECORD_TOPIC = "medrec.record.v1"
CONSUMING = ("ingest", "catalog", "issuance")  # the services with dead letters
STORAGE = ("ingest", "issuance")  # the services whose /readyz asks the object store

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> tuple[str, Samples]:
    """The body of a /metrics and its samples by (name, labels)."""
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200, url
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[sample.name, frozenset(sample.labels.items())] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def lag_of(samples: Samples, group: str, topic: str) -> float | None:
    found = [
        v
        for (name, labels), v in samples.items()
        if name == "medrec_consumer_lag" and {("group", group), ("topic", topic)} <= labels
    ]
    return sum(found) if found else None


@dataclass(frozen=True)
class Deposited:
    depositor: Depositor
    transfer: str
    citizen: Citizen


@pytest.fixture(scope="module")
def deposited(cluster: Cluster) -> Deposited:
    """One record of a person with a known RRN and name, listed by catalog."""
    code = new_code()
    depositor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = depositor.open_transfer(code, "당직내과의원")
    body = record_body(RRN, NAME, BIRTH, inline(f"{NAME} 진료".encode(), "text/plain"))
    assert depositor.put_record(transfer, "night-1", body).status_code == 201
    citizen = Citizen(cluster, NAME, RRN)
    eventually(citizen.records, timeout=120, what="the record listed by catalog")
    return Deposited(depositor, transfer, citizen)


def every_endpoint(cluster: Cluster) -> Iterator[str]:
    for service in (*SERVICES, PORTAL, CONSOLE):
        yield cluster.metrics_url(service)
    for service in SERVICES:
        yield cluster.worker_metrics_url(service)


def test_each_api_serves_its_gauges_with_their_labels(cluster: Cluster) -> None:
    for service in SERVICES:

        def refreshed(service: str = service) -> Samples | None:
            _, samples = scrape(cluster.metrics_url(service))
            found = value(samples, "medrec_dependency_up", service=service, dependency="database")
            return samples if found is not None else None

        samples = eventually(refreshed, timeout=30, what=f"{service}'s gauges refreshed")
        assert value(samples, "medrec_dependency_up", service=service, dependency="database") == 1
        if service in STORAGE:
            up = value(samples, "medrec_dependency_up", service=service, dependency="storage")
            assert up == 1
        assert value(samples, "medrec_outbox_unsent_events", service=service) is not None
        assert value(samples, "medrec_outbox_oldest_unsent_age_seconds", service=service) >= 0  # type: ignore[operator]
        parked = value(samples, "medrec_dead_letters_parked", service=service)
        assert (parked is not None) == (service in CONSUMING)
        assert value(samples, "medrec_db_pool_size", service=service) == 10
        for state in ("in_use", "idle"):
            assert value(samples, "medrec_db_pool_connections", service=service, state=state) >= 0  # type: ignore[operator]

    _, issuance = scrape(cluster.metrics_url("issuance"))
    assert value(issuance, "medrec_copies_waiting") is not None
    assert value(issuance, "medrec_issuer_certificate_expiry_timestamp_seconds") > 0  # type: ignore[operator]
    for service in ("identity", "issuance"):  # the APIs that limit
        text, _ = scrape(cluster.metrics_url(service))
        assert "# TYPE medrec_rate_limit_refusals_total counter" in text
    for service in STORAGE:
        text, _ = scrape(cluster.metrics_url(service))
        assert "# TYPE medrec_object_store_errors_total counter" in text
    for front_door in (PORTAL, CONSOLE):
        httpx.get(f"{cluster.url(front_door)}/healthz", timeout=10)
        _, samples = scrape(cluster.metrics_url(front_door))
        labels = {"method": "GET", "route": "/healthz", "status": "200"}
        assert value(samples, "medrec_http_requests_total", **labels) >= 1  # type: ignore[operator]


def test_each_worker_serves_its_heartbeat_pool_lag_and_health(
    cluster: Cluster, deposited: Deposited
) -> None:
    for service in SERVICES:
        url = cluster.worker_metrics_url(service)
        health = httpx.get(url.replace("/metrics", "/healthz"), timeout=10)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert httpx.get(url.replace("/metrics", "/"), timeout=10).status_code == 404

        def beating(url: str = url, service: str = service) -> Samples | None:
            _, samples = scrape(url)
            pool = value(samples, "medrec_db_pool_size", service=service)
            return samples if pool is not None else None

        samples = eventually(beating, timeout=30, what=f"{service}'s worker gauges")
        assert value(samples, "medrec_worker_heartbeat_timestamp_seconds", service=service) > 0  # type: ignore[operator]
        assert value(samples, "medrec_db_pool_connections", service=service, state="idle") >= 0  # type: ignore[operator]

    # ingest produces to the record topic, which catalog and issuance read: it measures both.
    def measured() -> Samples | None:
        _, samples = scrape(cluster.worker_metrics_url("ingest"))
        both = all(lag_of(samples, g, RECORD_TOPIC) is not None for g in ("catalog", "issuance"))
        return samples if both else None

    eventually(measured, timeout=60, what="ingest's worker measuring its readers' lag")
    text, _ = scrape(cluster.worker_metrics_url("issuance"))
    assert "# TYPE medrec_copy_render_seconds histogram" in text
    assert "# TYPE medrec_events_dead_lettered_total counter" in text


def test_the_backlog_and_the_lag_rise_while_catalogs_worker_is_stopped(
    cluster: Cluster, deposited: Deposited
) -> None:
    cluster.stop_process("catalog", "worker")
    try:
        # A citizen reading their records: catalog announces AccessRecorded, which waits.
        deposited.citizen.records()

        def backlog() -> tuple[float, float] | None:
            _, samples = scrape(cluster.metrics_url("catalog"))
            unsent = value(samples, "medrec_outbox_unsent_events", service="catalog") or 0
            age = value(samples, "medrec_outbox_oldest_unsent_age_seconds", service="catalog")
            return (unsent, age or 0) if unsent > 0 and (age or 0) > 0 else None

        eventually(backlog, timeout=60, what="catalog's outbox backlog measured")

        # A deposit: ingest's RecordStored waits for catalog's group, as ingest's worker sees.
        body = record_body(RRN, NAME, BIRTH, inline(f"{NAME} 재진".encode(), "text/plain"))
        put = deposited.depositor.put_record(deposited.transfer, "night-2", body)
        assert put.status_code == 201

        def lagging() -> float | None:
            _, samples = scrape(cluster.worker_metrics_url("ingest"))
            lag = lag_of(samples, "catalog", RECORD_TOPIC) or 0
            return lag if lag > 0 else None

        eventually(lagging, timeout=60, what="catalog's lag measured by ingest's worker")
    finally:
        cluster.start_process("catalog", "worker")

    def drained() -> bool:
        _, api = scrape(cluster.metrics_url("catalog"))
        _, ingest = scrape(cluster.worker_metrics_url("ingest"))
        unsent = value(api, "medrec_outbox_unsent_events", service="catalog")
        age = value(api, "medrec_outbox_oldest_unsent_age_seconds", service="catalog")
        return unsent == 0 and age == 0 and lag_of(ingest, "catalog", RECORD_TOPIC) == 0

    eventually(drained, timeout=120, what="the backlog and the lag back to 0")
    health = httpx.get(cluster.worker_metrics_url("catalog").replace("/metrics", "/healthz"))
    assert health.status_code == 200


def test_a_rate_limit_refusal_is_counted_by_the_limits_name(cluster: Cluster) -> None:
    """Wrong codes for one person and phone, over as many verifications as it takes, until a
    new verification is refused (verify.wrong.person_phone, 10 a day)."""
    identity = httpx.Client(base_url=cluster.url("identity"), timeout=30)
    claim = {
        "method": "mobile",
        "name": "제한시험",
        "rrn": "720202-1543216",
        "phone": "010-5550-1212",
    }
    refused = None
    for _ in range(30):
        started = identity.post("/v1/verifications", json=claim)
        if started.status_code == 429:
            refused = started
            break
        assert started.status_code == 201, started.text
        verification = started.json()["verification_id"]
        for _ in range(20):
            wrong = identity.post(
                f"/v1/verifications/{verification}/confirm", json={"code": "000000"}
            )
            if wrong.status_code == 429:
                break
            assert wrong.status_code == 400, wrong.text
    assert refused is not None, "no verification was refused"
    assert refused.json()["type"].endswith("/rate-limited")
    _, samples = scrape(cluster.metrics_url("identity"))
    counted = value(samples, "medrec_rate_limit_refusals_total", limit="verify.wrong.person_phone")
    assert counted is not None and counted >= 1


def test_no_rrn_or_name_is_in_any_metrics(cluster: Cluster, deposited: Deposited) -> None:
    forbidden = (RRN, RRN.replace("-", ""), NAME)
    for url in every_endpoint(cluster):
        text, _ = scrape(url)
        for value_ in forbidden:
            assert value_ not in text, url
