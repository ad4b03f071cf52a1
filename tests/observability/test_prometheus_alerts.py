"""A real Prometheus (Debian's /usr/bin/prometheus, a process of the test on a free port) scrapes
every api's and worker's metrics port of the local stack every second and evaluates
deploy/observability's rules every second. With catalog's worker stopped, events wait: a
citizen's reads leave AccessRecorded events unsent in catalog's outbox, and deposits (one every
few seconds while it is away) leave catalog's consumer group further and further behind on the
record topic (measured by ingest's worker). The backlog alerts fire; with the worker back, they
resolve.

The rules Prometheus loads are a copy of rules/medrec.rules.yaml transformed by `shortened()`:
every `for:` becomes 1s, and the few time and size thresholds named in SHORTER are replaced
(the outbox's 300 s by 3 s, the lag's 100 events by 0 and its 10 m slope window by 30 s), so
that the alerts fire in seconds. Every expression is otherwise the file's own, text for text."""

import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Depositor, Operator, eventually
from tests.support.builders import inline, new_code, record_body
from tests.support.prometheus import Prometheus

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "observability" / "rules" / "medrec.rules.yaml"
SERVICES = ("identity", "ingest", "catalog", "issuance")
RRN, NAME, BIRTH, PHONE = "790412-1234561", "경보시", "1979-04-12", "010-3131-0031"

# alert -> (text in its expression -> what replaces it); each text must be there exactly once.
SHORTER = {
    "MedrecOutboxEventsWaiting": {"> 300": "> 3"},
    "MedrecConsumerLagGrowing": {
        "(medrec_consumer_lag) > 100": "(medrec_consumer_lag) > 0",
        "[10m]": "[30s]",
    },
}
# What the test waits for: (alert, the labels that single out catalog's backlog).
BACKLOG = [
    ("MedrecOutboxEventsWaiting", {"service": "catalog"}),
    ("MedrecConsumerLagGrowing", {"group": "catalog", "topic": "medrec.record.v1"}),
    ("MedrecTargetDown", {"job": "medrec-catalog-worker"}),
]


def shortened(rules: dict[str, Any]) -> dict[str, Any]:
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "for" in rule:
                rule["for"] = "1s"
            for old, new in SHORTER.get(rule.get("alert", ""), {}).items():
                assert rule["expr"].count(old) == 1, (rule["alert"], old)
                rule["expr"] = rule["expr"].replace(old, new)
    return rules


def scrape_targets(cluster: Cluster) -> dict[str, list[str]]:
    """Job -> addresses, named as the PodMonitors name them in Kubernetes (a replica,
    "catalog-worker-2", is another instance of the same job)."""
    jobs: dict[str, list[str]] = {}
    for name, port in sorted(cluster.metrics_ports.items()):  # "catalog-api", "catalog-worker"
        service, role = name.split("-")[:2]
        jobs.setdefault(f"medrec-{service}-{role}", []).append(f"127.0.0.1:{port}")
    return jobs


@pytest.fixture(scope="module")
def prometheus(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    home = tmp_path_factory.mktemp("prometheus")
    rules = home / "medrec.rules.yaml"
    rules.write_text(yaml.safe_dump(shortened(yaml.safe_load(RULES.read_text()))))
    server = Prometheus(home, scrape_targets(cluster), [rules]).start()
    try:
        yield server
    finally:
        server.stop()


def in_state(
    prometheus: Prometheus, alert: str, labels: dict[str, str], *states: str
) -> Callable[[], bool]:
    """A probe: whether Prometheus holds `alert` with `labels` in one of `states` now."""

    def probe() -> bool:
        return any(
            a["labels"]["alertname"] == alert
            and a["state"] in states
            and all(a["labels"].get(k) == v for k, v in labels.items())
            for a in prometheus.alerts()
        )

    return probe


def negated(probe: Callable[[], bool]) -> Callable[[], bool]:
    def opposite() -> bool:
        return not probe()

    return opposite


def test_prometheus_scrapes_every_process_and_loads_every_rule(
    cluster: Cluster, prometheus: Prometheus
) -> None:
    jobs = {f"medrec-{s}-{r}" for s in SERVICES for r in ("api", "worker")}
    jobs |= {"medrec-portal-api", "medrec-console-api"}
    assert set(prometheus.targets) == jobs

    def all_up() -> bool:
        targets = prometheus.api("targets")["activeTargets"]
        return {t["labels"]["job"] for t in targets} == jobs and all(
            t["health"] == "up" for t in targets
        )

    eventually(all_up, timeout=60, what="every medrec target scraped")
    loaded = {
        r["name"] for g in prometheus.api("rules")["groups"] for r in g["rules"]
    }  # fmt: skip
    written = {
        r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]
    }  # fmt: skip
    assert loaded == written
    # The gauges every rule reads are served by the stack under the names the rules use.
    for expr in (
        'medrec_outbox_oldest_unsent_age_seconds{service="catalog"}',
        'medrec_consumer_lag{group="catalog", topic="medrec.record.v1"}',
        'medrec_dependency_up{service="ingest", dependency="storage"}',
        'medrec_worker_heartbeat_timestamp_seconds{service="catalog"}',
        "medrec_dead_letters_parked",
        "medrec_issuer_certificate_expiry_timestamp_seconds",
    ):
        eventually(partial(prometheus.query, expr), timeout=60, what=f"a series {expr}")


def test_catalogs_backlog_alerts_fire_while_its_worker_is_stopped_and_resolve_after(
    cluster: Cluster, prometheus: Prometheus
) -> None:
    code = new_code()
    vendor = Depositor(cluster, *Operator(cluster).register_client([code]))
    transfer = vendor.open_transfer(code, "경보의원")
    first = vendor.put_record(
        transfer, "alert-1", record_body(RRN, NAME, BIRTH, inline(b"note", "text/plain"))
    )
    assert first.status_code == 201, first.text
    citizen = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(citizen.records, what="the first record in catalog")
    for alert, labels in BACKLOG:  # a quiet start: nothing of catalog's is firing
        eventually(
            negated(in_state(prometheus, alert, labels, "firing")),
            timeout=120,
            what=f"{alert} not firing before the stop",
        )

    cluster.stop_process("catalog", "worker")
    deposited = 1
    last_deposit = 0.0

    def deposit_now_and_then() -> None:
        """Another record every few seconds while catalog's worker is away: the lag keeps
        growing, as it would in production, rather than rising once and standing still."""
        nonlocal deposited, last_deposit
        if time.monotonic() - last_deposit < 3:
            return
        body = record_body(RRN, NAME, BIRTH, inline(b"more", "text/plain"))
        stored = vendor.put_record(transfer, f"alert-{deposited + 1}", body)
        assert stored.status_code == 201, stored.text
        deposited += 1
        last_deposit = time.monotonic()

    def firing_under_load(alert: str, labels: dict[str, str]) -> Callable[[], bool]:
        probe = in_state(prometheus, alert, labels, "firing")

        def firing() -> bool:
            deposit_now_and_then()
            return probe()

        return firing

    try:
        deposit_now_and_then()
        assert len(citizen.records()) == 1  # read, and recorded in catalog's outbox
        for alert, labels in BACKLOG:
            eventually(
                firing_under_load(alert, labels), timeout=180, what=f"{alert} {labels} firing"
            )
    finally:
        cluster.start_process("catalog", "worker")

    def every_record() -> bool:
        return len(citizen.records()) == deposited

    eventually(every_record, what="every record deposited in catalog")
    for alert, labels in BACKLOG:
        eventually(
            negated(in_state(prometheus, alert, labels, "pending", "firing")),
            timeout=180,
            what=f"{alert} {labels} resolved",
        )
