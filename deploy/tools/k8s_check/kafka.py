"""Kafka: each service's bootstrap servers are a rendered Kafka's bootstrap service on a
listener the services can speak (no TLS, no authentication: they have no such settings yet),
its topic settings name KafkaTopics, its worker has no more replicas than the partitions it
consumes, and its KafkaUser (when ACLs are rendered) may read what its worker consumes. The
cluster and its topics keep replication 3 with min.insync.replicas 2."""

from __future__ import annotations

from collections.abc import Iterator

from .objects import CONSUMED, Obj, Rendered, ServiceConfig, object_id

TOPIC_SETTINGS = ("TOPIC_TRANSFER", "TOPIC_RECORD", "TOPIC_ISSUANCE", "TOPIC_AUDIT")


def topics_by_name(r: Rendered) -> dict[str, Obj]:
    return {(t["spec"].get("topicName") or t["metadata"]["name"]): t for t in r.of("KafkaTopic")}


def check_bootstrap(r: Rendered, s: ServiceConfig, notes: list[str] | None) -> Iterator[str]:
    """The bootstrap servers and their listener. With `notes`, a cluster whose authorization is
    on while the services connect unauthenticated (the kafka-authz component, a future state)
    is noted once instead of failing."""
    p = s.prefix
    for server in s.values.get(p + "KAFKA_BOOTSTRAP_SERVERS", "").split(","):
        host, _, port = server.strip().rpartition(":")
        kafka = next(
            (k for k in r.of("Kafka") if host == f"{k['metadata']['name']}-kafka-bootstrap"), None
        )
        if kafka is None:
            yield f"{s.who}: bootstrap {server} is no rendered Kafka's bootstrap service"
            continue
        listener = next(
            (li for li in kafka["spec"]["kafka"]["listeners"] if str(li["port"]) == port),
            None,
        )
        if listener is None:
            yield f"{s.who}: bootstrap port {port} is no listener of {object_id(kafka)}"
        elif listener.get("tls") or listener.get("authentication"):
            yield (
                f"{s.who}: listener {listener['name']} needs TLS/SASL the services "
                "cannot configure yet"
            )
        if kafka["spec"]["kafka"].get("authorization") and not (listener or {}).get(
            "authentication"
        ):
            problem = (
                f"{object_id(kafka)} has authorization on but the services connect "
                f"unauthenticated (listener {port}): switch it on together with the "
                "services' SASL settings"
            )
            if notes is None:
                yield f"{s.who}: {problem}"
            elif problem not in notes:
                notes.append(problem)


def check_topics(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """Every topic setting of the service names a rendered KafkaTopic."""
    topics = topics_by_name(r)
    for key in TOPIC_SETTINGS:
        topic = s.values.get(s.prefix + key)
        if topic not in topics:
            yield f"{s.who}: {s.prefix}{key}={topic} is no KafkaTopic"


def check_worker_partitions(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """A consuming worker scales to no more replicas than its topics have partitions."""
    if s.service not in CONSUMED:
        return
    topics, p = topics_by_name(r), s.prefix
    partitions = [
        topics[s.values[p + k]]["spec"].get("partitions", 0)
        for k in CONSUMED[s.service]
        if s.values.get(p + k) in topics
    ]
    hpa = r.named("HorizontalPodAutoscaler", f"medrec-{s.service}-worker")
    if hpa and partitions and hpa["spec"]["maxReplicas"] > max(partitions):
        yield (
            f"{s.who}: worker maxReplicas {hpa['spec']['maxReplicas']} exceeds the "
            f"partitions of its topics ({max(partitions)}): idle consumers"
        )


def check_worker_read_acls(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """Where the service's KafkaUser has ACLs, they let its worker read the topics it consumes
    and its consumer group."""
    if s.service not in CONSUMED:
        return
    p = s.prefix
    user = r.named("KafkaUser", f"medrec-{s.service}")
    acls = ((user or {}).get("spec", {}).get("authorization") or {}).get("acls")
    if user is None or acls is None:
        return
    reads = {
        (acl["resource"]["type"], acl["resource"].get("name"))
        for acl in acls
        if "Read" in acl["operations"]
    }
    group = s.values.get(p + "KAFKA_CONSUMER_GROUP") or s.service
    wanted = {("topic", s.values.get(p + k)) for k in CONSUMED[s.service]} | {("group", group)}
    for kind, name in sorted(wanted - reads, key=str):
        yield f"{object_id(user)}: no Read on {kind} {name}, which its worker consumes"


def check_replication(r: Rendered) -> Iterator[str]:
    """Replication 3 and min.insync.replicas 2, on 3 brokers at least, for the cluster and
    every topic."""
    for kafka in r.of("Kafka"):
        config = kafka["spec"]["kafka"].get("config", {})
        if config.get("default.replication.factor") != 3 or config.get("min.insync.replicas") != 2:
            yield f"{object_id(kafka)}: replication 3 and min.insync.replicas 2 expected"
        brokers = sum(
            pool["spec"]["replicas"]
            for pool in r.of("KafkaNodePool")
            if pool["metadata"].get("labels", {}).get("strimzi.io/cluster")
            == kafka["metadata"]["name"]
            and "broker" in pool["spec"]["roles"]
        )
        if brokers < 3:
            yield f"{object_id(kafka)}: {brokers} brokers; replication 3 needs 3"
    for name, topic in topics_by_name(r).items():
        if topic["spec"].get("replicas") != 3:
            yield f"KafkaTopic {name}: replicas must be 3"
        if topic["spec"].get("config", {}).get("min.insync.replicas", 2) != 2:
            yield f"KafkaTopic {name}: min.insync.replicas must be 2"
