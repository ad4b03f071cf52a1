"""Each service's KafkaUser may do on the brokers exactly what its code does, grant by grant:
Write and Describe on the topics of the events it owns (medrec_shared.rules.topics.OWNERS, which the
outbox enforces), Read and Describe on the topics its worker subscribes to (CONSUMES, which
runtime.consumer_task subscribes from), Read on its consumer group (`consumer_group`) and
Describe on the groups reading the topics it writes (`lag_measured`: its worker measures their
lag). The
expected grants are derived here from the code's tables, not from k8s_check; k8s_check's own
version of the comparison is tested in test_manifests.py."""

import ast
from pathlib import Path
from typing import Any

from medrec_shared.rules.topics import (
    CONSUMES,
    OWNERS,
    SERVICES,
    consumer_group,
    lag_measured,
    produces,
)

REPO = Path(__file__).resolve().parents[2]
Obj = dict[str, Any]
Grant = tuple[str, str, str, str]  # resource type, name, pattern type, operation


def _named(objects: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _settings(objects: list[Obj], service: str) -> dict[str, str]:
    """The service's api settings: its ConfigMap, then its env values."""
    container = _named(objects, "Deployment", f"medrec-{service}-api")["spec"]["template"]["spec"][
        "containers"
    ][0]
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        values |= _named(objects, "ConfigMap", source["configMapRef"]["name"])["data"]
    return values | {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def needed(objects: list[Obj], service: str) -> set[Grant]:
    settings = _settings(objects, service)
    prefix = f"MEDREC_{service.upper()}_"

    def topic(setting: str) -> str:
        return settings[prefix + setting.upper()]

    grants: set[Grant] = set()
    for setting in produces(service):
        grants |= {("topic", topic(setting), "literal", op) for op in ("Write", "Describe")}
    for setting in CONSUMES.get(service, ()):
        grants |= {("topic", topic(setting), "literal", op) for op in ("Read", "Describe")}
    if service in CONSUMES:
        group = consumer_group(service, settings.get(prefix + "KAFKA_CONSUMER_GROUP", ""))
        grants.add(("group", group, "literal", "Read"))
    # Describe on the groups reading what it writes: its worker measures their lag
    grants |= {("group", consumer, "literal", "Describe") for consumer in lag_measured(service)}
    return grants


def granted(user: Obj) -> set[Grant]:
    acls = user["spec"]["authorization"]["acls"]
    for acl in acls:
        assert acl.get("type", "allow") == "allow" and acl.get("host", "*") == "*", acl
    return {
        (
            acl["resource"]["type"],
            acl["resource"].get("name", ""),
            acl["resource"].get("patternType", "literal"),
            op,
        )
        for acl in acls
        for op in acl["operations"]
    }


def test_each_kafka_user_has_exactly_the_grants_its_code_needs(rendered: Any) -> None:
    objects = rendered["overlays/prod"]
    assert _named(objects, "Kafka", "medrec-kafka")["spec"]["kafka"]["authorization"] == {
        "type": "simple"
    }
    problems = []
    for service in SERVICES:
        user = _named(objects, "KafkaUser", f"medrec-{service}")
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        want, have = needed(objects, service), granted(user)
        problems += [f"medrec-{service} lacks {g}" for g in sorted(want - have)]
        problems += [
            f"medrec-{service} has {g}, which its code does not need" for g in sorted(have - want)
        ]
    assert problems == []


def test_the_grants_are_what_the_events_table_says(rendered: Any) -> None:
    """The derivation above, spelled out once, so a change of the tables shows here too."""
    objects = rendered["overlays/prod"]
    writes = {s: {t for _, t, _, op in needed(objects, s) if op == "Write"} for s in SERVICES}
    reads = {s: {(k, t) for k, t, _, op in needed(objects, s) if op == "Read"} for s in SERVICES}
    assert writes == {
        "identity": {"medrec.audit.v1"},  # PersonVerified; AccessRecorded (demographics reads)
        # ... and AccessRecorded: its service clients' content and demographics reads
        "ingest": {"medrec.transfer.v1", "medrec.record.v1", "medrec.audit.v1"},
        "catalog": {"medrec.record.v1", "medrec.audit.v1"},
        "issuance": {"medrec.issuance.v1", "medrec.audit.v1"},
    }
    assert reads == {
        "identity": set(),
        "ingest": {("topic", "medrec.record.v1"), ("group", "ingest")},
        "catalog": {
            ("topic", "medrec.transfer.v1"),
            ("topic", "medrec.record.v1"),
            ("topic", "medrec.audit.v1"),
            ("group", "catalog"),
        },
        "issuance": {
            ("topic", "medrec.issuance.v1"),
            ("topic", "medrec.record.v1"),
            ("topic", "medrec.transfer.v1"),  # TransferCompleted: the 이관확인서 (#29)
            ("group", "issuance"),
        },
    }


def _consumers(service: str) -> list[tuple[str, set[str]]]:
    """(name, handled event types) of each consumer_task call in the service's worker."""
    tree = ast.parse((REPO / "services" / service / f"medrec_{service}" / "worker.py").read_text())
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "consumer_task"
        ):
            name, handlers = node.args[4], node.args[5]
            assert isinstance(name, ast.Constant) and isinstance(name.value, str)
            assert isinstance(handlers, ast.Dict)
            keys = {
                k.value
                for k in handlers.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
            found.append((name.value, keys))
    return found


def test_the_workers_consume_what_the_table_says() -> None:
    """Each worker runs one consumer, under its service's name (so CONSUMES[service] is what it
    subscribes to and its group is the service's), and the events it handles come on exactly
    those topics."""
    for service in SERVICES:
        consumers = _consumers(service)
        if service not in CONSUMES:
            assert consumers == [], service
            continue
        ((name, handled),) = consumers
        assert name == service
        assert {OWNERS[event].topic for event in handled} == set(CONSUMES[service]), service


def test_api_pods_hold_no_kafka_credentials_and_cannot_reach_the_brokers(rendered: Any) -> None:
    """Only the workers relay and consume: a compromised api pod can forge no event, since it
    holds no KafkaUser's password, no cluster CA, and no route to the brokers."""
    objects = rendered["overlays/prod"]
    users = {o["metadata"]["name"] for o in objects if o["kind"] == "KafkaUser"}
    brokers = {"strimzi.io/cluster": "medrec-kafka", "strimzi.io/broker-role": "true"}
    for service in SERVICES:
        spec = _named(objects, "Deployment", f"medrec-{service}-api")["spec"]["template"]["spec"]
        for container in spec["containers"]:
            for item in container.get("env", []):
                assert "_KAFKA_" not in item["name"], (service, item["name"])
                ref = item.get("valueFrom", {}).get("secretKeyRef", {})
                assert ref.get("name") not in users, (service, item["name"])
        mounted = {v.get("secret", {}).get("secretName") for v in spec.get("volumes", [])}
        assert "medrec-kafka-cluster-ca-cert" not in mounted, service
        policy = _named(objects, "NetworkPolicy", f"medrec-{service}-api")["spec"]
        for rule in policy["egress"]:
            for peer in rule.get("to", []):
                labels = peer.get("podSelector", {}).get("matchLabels", {})
                assert not brokers.items() <= labels.items(), (service, rule)
        worker = _named(objects, "Deployment", f"medrec-{service}-worker")
        names = {e["name"] for e in worker["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert f"MEDREC_{service.upper()}_KAFKA_PASSWORD" in names  # the worker still can
