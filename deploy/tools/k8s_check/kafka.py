"""Kafka: each service's bootstrap servers are a rendered Kafka's bootstrap service on one of its
listeners, and its api and worker speak that listener: PLAINTEXT on a listener without TLS or
authentication; on the tls listener with SCRAM-SHA-512, SASL_SSL as its own KafkaUser, the
password from the Secret the User Operator writes for that user, the brokers' CA mounted from
Strimzi's `<cluster>-cluster-ca-cert`. A cluster with authorization on must be reached on an
authenticated listener (the kafka-authz component), and then every service's KafkaUser has
exactly the ACLs its code needs (medrec_shared.rules.topics): Write and Describe on the topics of
the events it owns, Read and Describe on those its worker consumes, Read on its consumer group.
Topic settings name KafkaTopics, a worker has no more replicas than the partitions it consumes,
and the cluster and its topics keep replication 3 with min.insync.replicas 2."""

from __future__ import annotations

from collections.abc import Iterator

from medrec_shared.rules.topics import consumer_group, lag_measured

from .objects import CONSUMED, PRODUCED, Obj, Rendered, ServiceConfig, containers, object_id

TOPIC_SETTINGS = ("TOPIC_TRANSFER", "TOPIC_RECORD", "TOPIC_ISSUANCE", "TOPIC_AUDIT")
# A Strimzi listener's authentication type -> the services' SASL mechanism setting.
SASL_MECHANISMS = {"scram-sha-512": "SCRAM-SHA-512"}

# One grant: (resource type, resource name, pattern type, operation, allow/deny, host).
Grant = tuple[str, str, str, str, str, str]


def topics_by_name(r: Rendered) -> dict[str, Obj]:
    return {(t["spec"].get("topicName") or t["metadata"]["name"]): t for t in r.of("KafkaTopic")}


def bootstrap_listeners(
    r: Rendered, s: ServiceConfig
) -> Iterator[tuple[str, Obj | None, Obj | None]]:
    """(server, Kafka, listener) for each of the service's bootstrap servers; None where the
    server is no rendered Kafka's bootstrap service, or its port no listener of it."""
    for server in s.values.get(s.prefix + "KAFKA_BOOTSTRAP_SERVERS", "").split(","):
        host, _, port = server.strip().rpartition(":")
        kafka = next(
            (k for k in r.of("Kafka") if host == f"{k['metadata']['name']}-kafka-bootstrap"), None
        )
        listener = next(
            (
                li
                for li in (kafka or {}).get("spec", {}).get("kafka", {}).get("listeners", [])
                if str(li["port"]) == port
            ),
            None,
        )
        yield server.strip(), kafka, listener


def check_bootstrap(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """The bootstrap servers are a rendered Kafka's listener the services can speak (PLAINTEXT,
    or TLS with SCRAM), and an authenticated one when the cluster's authorization is on."""
    for server, kafka, listener in bootstrap_listeners(r, s):
        if kafka is None:
            yield f"{s.who}: bootstrap {server} is no rendered Kafka's bootstrap service"
            continue
        if listener is None:
            yield f"{s.who}: bootstrap {server} is no listener of {object_id(kafka)}"
            continue
        auth = (listener.get("authentication") or {}).get("type")
        if bool(listener.get("tls")) != bool(auth) or (auth and auth not in SASL_MECHANISMS):
            yield (
                f"{s.who}: listener {listener['name']} (tls {bool(listener.get('tls'))}, "
                f"authentication {auth}) is neither plain nor TLS with SCRAM-SHA-512, the two "
                "the services speak"
            )
        if kafka["spec"]["kafka"].get("authorization") and not auth:
            yield (
                f"{s.who}: {object_id(kafka)} has authorization on but bootstrap {server} is "
                "an unauthenticated listener: use the tls listener (9093) with the services' "
                "SASL settings"
            )


def _env(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env", [])}


def check_client_credentials(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """The api's and the worker's Kafka settings fit the listener their bootstrap servers name:
    PLAINTEXT on a plain one; on a tls+SCRAM one SASL_SSL, the listener's mechanism, a username
    that is a KafkaUser of that cluster (SCRAM), the password from that user's Secret (key
    `password`) and the CA file inside a mount of the cluster's CA Secret (key `ca.crt`)."""
    p = s.prefix
    for server, kafka, listener in bootstrap_listeners(r, s):
        if kafka is None or listener is None:
            continue  # check_bootstrap says so
        cluster = kafka["metadata"]["name"]
        auth = (listener.get("authentication") or {}).get("type")
        for component in ("worker",):  # the apis speak to no broker (check_apis_hold_no_kafka)
            workload = r.named("Deployment", f"{s.who}-{component}")
            if workload is None:
                continue
            who = f"{s.who}-{component}"
            container = containers(workload)[0]
            values = _settings_values(r, container)
            env = _env(container)
            protocol = values.get(p + "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
            if not auth:
                if protocol != "PLAINTEXT":
                    yield f"{who}: {p}KAFKA_SECURITY_PROTOCOL={protocol} on plain {server}"
                continue
            if protocol != "SASL_SSL":
                yield f"{who}: {server} is TLS with {auth}; {p}KAFKA_SECURITY_PROTOCOL={protocol}"
                continue
            mechanism = values.get(p + "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
            if mechanism != SASL_MECHANISMS.get(auth):
                yield f"{who}: {p}KAFKA_SASL_MECHANISM={mechanism}, the listener takes {auth}"
            username = values.get(p + "KAFKA_USERNAME", "")
            user = r.named("KafkaUser", username)
            if (
                user is None
                or (user["metadata"].get("labels") or {}).get("strimzi.io/cluster") != cluster
            ):
                yield f"{who}: {p}KAFKA_USERNAME={username} is no KafkaUser of {cluster}"
            elif (user["spec"].get("authentication") or {}).get("type") != auth:
                yield f"{who}: KafkaUser {username} does not authenticate with {auth}"
            ref = env.get(p + "KAFKA_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef", {})
            if (ref.get("name"), ref.get("key")) != (username, "password"):
                yield (
                    f"{who}: {p}KAFKA_PASSWORD must come from Secret {username} (key password), "
                    "which the User Operator writes"
                )
            ca_file = values.get(p + "KAFKA_CA_FILE", "")
            if not _mounted_from(workload, container, ca_file, f"{cluster}-cluster-ca-cert"):
                yield (
                    f"{who}: {p}KAFKA_CA_FILE={ca_file or '(unset)'} is not ca.crt of a mount "
                    f"of Secret {cluster}-cluster-ca-cert"
                )


KAFKA_CREDENTIALS = ("KAFKA_USERNAME", "KAFKA_PASSWORD", "KAFKA_SECURITY_PROTOCOL", "KAFKA_CA_FILE")


def check_apis_hold_no_kafka(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """An api pod holds no Kafka credential: no SASL setting, no Secret of a KafkaUser, no
    cluster CA mounted (only the worker relays and consumes)."""
    api = r.named("Deployment", f"{s.who}-api")
    if api is None:
        return
    users = {u["metadata"]["name"] for u in r.of("KafkaUser")}
    for container in containers(api):
        for name, item in _env(container).items():
            ref = item.get("valueFrom", {}).get("secretKeyRef", {}).get("name")
            if name.endswith(KAFKA_CREDENTIALS) or ref in users:
                yield f"{s.who}-api holds {name}: an api speaks to no broker"
    for volume in api["spec"]["template"]["spec"].get("volumes", []):
        if volume.get("secret", {}).get("secretName", "").endswith("-cluster-ca-cert"):
            yield f"{s.who}-api mounts the Kafka cluster CA: an api speaks to no broker"


def _settings_values(r: Rendered, container: Obj) -> dict[str, str]:
    """A container's plain settings: its ConfigMaps, then its `env` values."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        values |= ((r.named("ConfigMap", ref) or {}).get("data", {})) if ref else {}
    return values | {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}


def _mounted_from(workload: Obj, container: Obj, path: str, secret: str) -> bool:
    """`path` is the file of key ca.crt in a volume of Secret `secret` mounted in `container`."""
    volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"].get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        source = volumes.get(mount["name"], {}).get("secret") or {}
        if source.get("secretName") != secret:
            continue
        items = source.get("items") or [{"key": "ca.crt", "path": "ca.crt"}]
        for item in items:
            if (
                item["key"] == "ca.crt"
                and path == f"{mount['mountPath'].rstrip('/')}/{item['path']}"
            ):
                return True
    return False


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
    scaled = r.named("ScaledObject", f"medrec-{s.service}-worker")
    most = (
        hpa["spec"]["maxReplicas"]
        if hpa
        else scaled["spec"].get("maxReplicaCount", 100)
        if scaled
        else None
    )
    if most is not None and partitions and most > max(partitions):
        yield (
            f"{s.who}: worker maxReplicas {most} exceeds the "
            f"partitions of its topics ({max(partitions)}): idle consumers"
        )


# The KEDA Kafka scaler's `sasl` for a Strimzi listener's authentication type.
KEDA_SASL = {"scram-sha-512": "scram_sha512"}


def check_worker_lag_trigger(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """A consuming worker scales on its own group's lag (a KEDA ScaledObject with a kafka
    trigger), read as the worker reads: the worker's bootstrap servers and, on an authenticated
    listener, SASL and TLS with a TriggerAuthentication holding the worker's username, its
    KafkaUser's password Secret and the cluster CA."""
    if s.service not in CONSUMED:
        return
    scaled = r.named("ScaledObject", f"{s.who}-worker")
    worker = r.named("Deployment", f"{s.who}-worker")
    if worker is None:
        return
    kafka_triggers = [t for t in (scaled or {}).get("spec", {}).get("triggers", [])
                      if t["type"] == "kafka"]  # fmt: skip
    if not kafka_triggers:
        yield f"{s.who}-worker: no ScaledObject with a kafka trigger (its consumer lag)"
        return
    p = s.prefix
    container = containers(worker)[0]
    values = _settings_values(r, container)
    group = consumer_group(s.service, values.get(p + "KAFKA_CONSUMER_GROUP", ""))
    for trigger in kafka_triggers:
        meta, who = trigger["metadata"], object_id(scaled or {})
        if meta.get("consumerGroup") != group:
            yield f"{who}: consumerGroup {meta.get('consumerGroup')} is not the worker's {group}"
        if meta.get("bootstrapServers") != values.get(p + "KAFKA_BOOTSTRAP_SERVERS"):
            yield (
                f"{who}: bootstrapServers {meta.get('bootstrapServers')} are not the worker's "
                f"{values.get(p + 'KAFKA_BOOTSTRAP_SERVERS')}"
            )
        protocol = values.get(p + "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
        auth_name = (trigger.get("authenticationRef") or {}).get("name")
        if protocol == "PLAINTEXT":
            if auth_name or meta.get("sasl") or meta.get("tls") == "enable":
                yield f"{who}: SASL or TLS towards a plain listener"
            continue
        mechanism = values.get(p + "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
        wanted = KEDA_SASL.get(mechanism.lower())
        if meta.get("sasl") != wanted or meta.get("tls") != "enable":
            yield f"{who}: sasl {meta.get('sasl')} tls {meta.get('tls')}; the worker's: {wanted}"
        auth = r.named("TriggerAuthentication", auth_name or "")
        if auth is None:
            yield f"{who}: no rendered TriggerAuthentication ({auth_name})"
            continue
        refs = {
            ref["parameter"]: (ref["name"], ref["key"])
            for ref in auth["spec"].get("secretTargetRef", [])
        }
        envs = {ref["parameter"]: ref["name"] for ref in auth["spec"].get("env", [])}
        password = (
            _env(container).get(p + "KAFKA_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef")
            or {}
        )
        cluster = values.get(p + "KAFKA_BOOTSTRAP_SERVERS", "").split("-kafka-bootstrap")[0]
        if refs.get("password") != (password.get("name"), password.get("key")):
            yield f"{object_id(auth)}: password is not the worker's ({password})"
        if refs.get("ca") != (f"{cluster}-cluster-ca-cert", "ca.crt"):
            yield f"{object_id(auth)}: ca is not ca.crt of Secret {cluster}-cluster-ca-cert"
        if envs.get("username") != p + "KAFKA_USERNAME":
            yield f"{object_id(auth)}: username is not the worker's {p}KAFKA_USERNAME"


def wanted_grants(s: ServiceConfig) -> set[Grant]:
    """The grants the service's code needs, its topic names and group from its settings."""
    p = s.prefix
    wanted: set[Grant] = set()
    for key in PRODUCED.get(s.service, ()):
        for op in ("Write", "Describe"):
            wanted.add(("topic", s.values.get(p + key, ""), "literal", op, "allow", "*"))
    for key in CONSUMED.get(s.service, ()):
        for op in ("Read", "Describe"):
            wanted.add(("topic", s.values.get(p + key, ""), "literal", op, "allow", "*"))
    if s.service in CONSUMED:
        group = consumer_group(s.service, s.values.get(p + "KAFKA_CONSUMER_GROUP", ""))
        wanted.add(("group", group, "literal", "Read", "allow", "*"))
    # the lag of the groups reading what it writes, measured by its worker (their offsets)
    for consumer in lag_measured(s.service):
        wanted.add(("group", consumer, "literal", "Describe", "allow", "*"))
    return wanted


def granted(user: Obj) -> set[Grant]:
    """A KafkaUser's ACLs, one grant per operation (Strimzi's defaults filled in)."""
    acls = (user.get("spec", {}).get("authorization") or {}).get("acls") or []
    return {
        (
            acl["resource"]["type"],
            acl["resource"].get(
                "name", "kafka-cluster" if acl["resource"]["type"] == "cluster" else ""
            ),
            acl["resource"].get("patternType", "literal"),
            op,
            acl.get("type", "allow"),
            acl.get("host", "*"),
        )
        for acl in acls
        for op in acl["operations"]
    }


def check_user_acls(r: Rendered, s: ServiceConfig) -> Iterator[str]:
    """Where the cluster's authorization is on (or the user has ACLs), the service's KafkaUser
    has exactly the grants its code needs: none missing, none more."""
    user = r.named("KafkaUser", s.values.get(s.prefix + "KAFKA_USERNAME") or s.who)
    if user is None:
        return
    authorized = any(k["spec"]["kafka"].get("authorization") for k in r.of("Kafka"))
    if not authorized and not (user["spec"].get("authorization") or {}).get("acls"):
        return
    have, wanted = granted(user), wanted_grants(s)
    for kind, name, pattern, op, *_ in sorted(wanted - have):
        yield f"{object_id(user)}: no {op} on {kind} {name} ({pattern}), which its code needs"
    for kind, name, pattern, op, allow, host in sorted(have - wanted):
        yield (
            f"{object_id(user)}: {allow} {op} on {kind} {name} ({pattern}, host {host}), "
            "which its code does not need"
        )


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
