"""deploy/k8s renders, validates and passes its checks (what `make k8s-check` reports), and the
checks themselves catch what they are there to catch."""

import copy
import importlib
import ipaddress
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "ingest", "catalog", "issuance")
PORTS = {"identity": 8001, "ingest": 8002, "catalog": 8003, "issuance": 8004}
Obj = dict[str, Any]


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def test_every_overlay_and_component_is_checked(report: Any) -> None:
    names = [t.name for t in report.targets]
    assert names == ["overlays/dev", "overlays/prod", "overlays/prod + components/pg-restore"]
    # kafka-authz is prod's own component: rendered with prod, not added to it a second time.
    prod = yaml.safe_load((REPO / "deploy/k8s/overlays/prod/kustomization.yaml").read_text())
    assert prod["components"] == ["../../components/kafka-authz"]
    dev = yaml.safe_load((REPO / "deploy/k8s/overlays/dev/kustomization.yaml").read_text())
    assert "components" not in dev
    assert report.errors == []


def test_k8s_check_passes(report: Any, k8s_check: ModuleType, capsys: Any) -> None:
    k8s_check.print_report(report)
    out = capsys.readouterr().out
    assert report.ok, out
    assert out.rstrip().endswith("k8s-check: OK")


def test_every_object_is_schema_validated(report: Any) -> None:
    if report.crds is None:
        pytest.skip(f"CRD folder {report.crd_folder} absent: custom resources not validated")
    for t in report.targets:
        assert t.schemas.errors == [], t.name
        assert t.schemas.custom_skipped == 0
        assert t.schemas.builtin + t.schemas.custom == len(t.objects)
        # Kafka, 2 pools, 4 topics, 4 users, Cluster, backup, Tenant; 4 ScaledObjects
        assert t.schemas.custom >= 18


def test_without_the_crd_folder_the_rest_is_still_validated(
    k8s_check: ModuleType, rendered: dict[str, list[Obj]], tmp_path: Path
) -> None:
    assert k8s_check.CrdSchemas.load(tmp_path / "absent") is None
    objects = rendered["overlays/prod"]
    result = k8s_check.validate_schemas(copy.deepcopy(objects), None, "1.37")
    assert result.errors == []
    # and the 4 workers' ScaledObjects, and prod's 3 TriggerAuthentications
    assert result.custom_skipped == 21
    assert result.builtin == len(objects) - 21


def test_the_crd_folder_is_a_setting(k8s_check: ModuleType, monkeypatch: Any) -> None:
    assert REPO.parent / "shared" / "k8s-crds" == k8s_check.DEFAULT_CRDS
    monkeypatch.setenv("MEDREC_K8S_CRDS", "/elsewhere/crds")
    assert k8s_check.crds_folder() == Path("/elsewhere/crds")
    assert k8s_check.crds_folder("/explicit") == Path("/explicit")
    # The CRDs are read from there, never copied into the repository.
    copies = [
        p for p in (REPO / "deploy").rglob("*.y*ml") if "CustomResourceDefinition" in p.read_text()
    ]
    assert copies == []


def test_crd_schemas_reject_what_the_api_server_would(report: Any, rendered: Any) -> None:
    if report.crds is None:
        pytest.skip("no CRD folder")
    crds = report.crds
    kafka = copy.deepcopy(named(rendered["overlays/prod"], "Kafka", "medrec-kafka"))
    assert crds.validate(kafka) == []
    kafka["spec"]["kafka"]["listners"] = []  # unknown field: strict validation
    kafka["spec"]["kafka"]["listeners"][0]["type"] = "public"  # not in the enum
    errors = crds.validate(kafka)
    assert any("listners" in e for e in errors)
    assert any("public" in e for e in errors)
    topic = copy.deepcopy(named(rendered["overlays/prod"], "KafkaTopic", "medrec-record-v1"))
    topic["spec"]["partitions"] = "twelve"
    assert any("partitions" in e for e in crds.validate(topic))
    topic["spec"]["partitions"] = 12
    topic["spec"]["config"]["anything.goes"] = 1  # config preserves unknown fields
    assert crds.validate(topic) == []
    cluster = copy.deepcopy(named(rendered["overlays/prod"], "Cluster", "medrec-pg"))
    cluster["spec"]["backup"]["retentionPolicy"] = "30 days"  # pattern ^[1-9][0-9]*[dwm]$
    assert any("retentionPolicy" in e for e in crds.validate(cluster))
    # KEDA's: a ScaledObject's trigger needs a type and metadata, its counts are integers; a
    # TriggerAuthentication's secret reference names its parameter, Secret and key.
    scaled = copy.deepcopy(
        named(rendered["overlays/prod"], "ScaledObject", "medrec-catalog-worker")
    )
    assert crds.validate(scaled) == []
    scaled["spec"]["maxReplicaCount"] = "twelve"
    del scaled["spec"]["triggers"][0]["type"]
    errors = crds.validate(scaled)
    assert any("maxReplicaCount" in e for e in errors)
    assert any("type" in e for e in errors)
    auth = copy.deepcopy(
        named(rendered["overlays/prod"], "TriggerAuthentication", "medrec-catalog-kafka")
    )
    assert crds.validate(auth) == []
    del auth["spec"]["secretTargetRef"][0]["key"]
    auth["spec"]["secretRefs"] = []  # unknown field
    errors = crds.validate(auth)
    assert any("key" in e for e in errors)
    assert any("secretRefs" in e for e in errors)


def test_workers_scale_on_lag_and_apis_on_cpu(rendered: dict[str, list[Obj]]) -> None:
    """Every consuming worker has a KEDA ScaledObject on its group's lag (identity's, which
    consumes nothing, on CPU) and no HPA of its own; every API, the portal's and the console's
    too, an HPA on CPU. In prod the lag is read on the tls listener as the worker's KafkaUser."""
    for target, objects in rendered.items():
        hpas = {
            h["spec"]["scaleTargetRef"]["name"]: h for h in _of(objects, "HorizontalPodAutoscaler")
        }
        for app in (*SERVICES, "portal", "console"):
            hpa = hpas[f"medrec-{app}-api"]
            assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"], target
        for service in SERVICES:
            assert f"medrec-{service}-worker" not in hpas, target
            scaled = named(objects, "ScaledObject", f"medrec-{service}-worker")
            (trigger,) = scaled["spec"]["triggers"]
            minimum = 2 if target.startswith("overlays/prod") else 1
            assert scaled["spec"]["minReplicaCount"] == minimum, (target, service)
            if service == "identity":
                assert trigger["type"] == "cpu"
                continue
            assert trigger["type"] == "kafka"
            assert trigger["metadata"]["consumerGroup"] == service
            if target.startswith("overlays/prod"):
                assert trigger["metadata"]["sasl"] == "scram_sha512"
                assert trigger["metadata"]["tls"] == "enable"
                assert trigger["authenticationRef"] == {"name": f"medrec-{service}-kafka"}
            else:
                assert "authenticationRef" not in trigger


def test_catalog_api_is_one_process_a_pod_and_scales_in_pods(
    rendered: dict[str, list[Obj]],
) -> None:
    """catalog's API is one asyncio process, which uses one core at most (#32: about 2 ms of
    CPU a request, so a process saturates its core long before its pod's memory): its pod is
    limited to one core, runs no second process (no uvicorn --workers), and more processes are
    more pods, which its HPA adds on CPU (from two up in prod)."""
    for target, objects in rendered.items():
        deployment = named(objects, "Deployment", "medrec-catalog-api")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["medrec-catalog-api"], target
        assert container["resources"]["limits"]["cpu"] in ("1", 1, "1000m"), target
        hpa = named(objects, "HorizontalPodAutoscaler", "medrec-catalog-api")
        assert hpa["spec"]["minReplicas"] >= (2 if target.startswith("overlays/prod") else 1)
        assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"], target


def _of(objects: list[Obj], kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def test_kubernetes_schemas_are_strict(k8s_check: ModuleType, rendered: Any) -> None:
    deployment = copy.deepcopy(named(rendered["overlays/prod"], "Deployment", "medrec-ingest-api"))
    assert k8s_check.validate_builtin(deployment, "1.37") == []
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    assert k8s_check.validate_builtin(deployment, "1.37")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "catalog"))["data"].update(
                MEDREC_CATALOG_TOPIC_RECORD="medrec.records.v1"
            ),
            "is no KafkaTopic",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "ingest"))["data"].update(
                MEDREC_DB_HOST="postgres"
            ),
            "no rendered Cluster",
        ),
        (  # prod has the tls listener only (components/kafka-authz)
            lambda objs: named(objs, "ConfigMap", _cm(objs, "issuance"))["data"].update(
                MEDREC_ISSUANCE_KAFKA_BOOTSTRAP_SERVERS="medrec-kafka-kafka-bootstrap:9092"
            ),
            "bootstrap medrec-kafka-kafka-bootstrap:9092 is no listener of "
            "Kafka/medrec/medrec-kafka",
        ),
        (  # identity owns one event, PersonVerified on the audit topic: nothing on the others
            lambda objs: named(objs, "KafkaUser", "medrec-identity")["spec"]["authorization"][
                "acls"
            ].append(
                {
                    "resource": {"type": "topic", "name": "medrec.record.v1"},
                    "operations": ["Write", "Describe"],
                }
            ),
            "KafkaUser/medrec/medrec-identity: allow Write on topic medrec.record.v1 (literal, "
            "host *), which its code does not need",
        ),
        (
            lambda objs: named(objs, "KafkaUser", "medrec-catalog")["spec"]["authorization"][
                "acls"
            ].append({"resource": {"type": "cluster"}, "operations": ["IdempotentWrite"]}),
            "medrec-catalog: allow IdempotentWrite on cluster kafka-cluster",
        ),
        (
            lambda objs: named(objs, "KafkaUser", "medrec-issuance")["spec"]["authorization"][
                "acls"
            ].pop(),  # Read on its group
            "KafkaUser/medrec/medrec-issuance: no Read on group issuance",
        ),
        (
            lambda objs: named(objs, "KafkaUser", "medrec-ingest")["spec"]["authorization"]["acls"][
                0
            ]["resource"].update(patternType="prefix", name="medrec."),
            "medrec-ingest: no Write on topic medrec.transfer.v1",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "catalog"))["data"].update(
                MEDREC_CATALOG_KAFKA_CONSUMER_GROUP="catalog-blue"
            ),
            "medrec-catalog: no Read on group catalog-blue",
        ),
        (  # the cluster's authorization on, the services on an unauthenticated listener
            lambda objs: named(objs, "Kafka", "medrec-kafka")["spec"]["kafka"]["listeners"][0].pop(
                "authentication"
            ),
            "has authorization on but bootstrap medrec-kafka-kafka-bootstrap:9093 is an "
            "unauthenticated listener",
        ),
        (
            lambda objs: _set_env(
                named(objs, "Deployment", "medrec-ingest-worker"),
                "MEDREC_INGEST_KAFKA_SECURITY_PROTOCOL",
                "PLAINTEXT",
            ),
            "medrec-ingest-worker: medrec-kafka-kafka-bootstrap:9093 is TLS with scram-sha-512",
        ),
        (
            lambda objs: _set_env(
                named(objs, "Deployment", "medrec-catalog-worker"),
                "MEDREC_CATALOG_KAFKA_USERNAME",
                "medrec-issuance",
            ),
            "medrec-catalog-worker: MEDREC_CATALOG_KAFKA_PASSWORD must come from Secret "
            "medrec-issuance",
        ),
        (
            lambda objs: next(
                e
                for e in named(objs, "Deployment", "medrec-issuance-worker")["spec"]["template"][
                    "spec"
                ]["containers"][0]["env"]
                if e["name"] == "MEDREC_ISSUANCE_KAFKA_PASSWORD"
            )["valueFrom"]["secretKeyRef"].update(name="medrec-issuance-secrets"),
            "medrec-issuance-worker: MEDREC_ISSUANCE_KAFKA_PASSWORD must come from Secret "
            "medrec-issuance (key password)",
        ),
        (
            lambda objs: named(objs, "Deployment", "medrec-identity-worker")["spec"]["template"][
                "spec"
            ]["volumes"][-1]["secret"].update(secretName="medrec-minio-ca"),
            "medrec-identity-worker: MEDREC_IDENTITY_KAFKA_CA_FILE=/etc/medrec/kafka-ca/ca.crt is "
            "not ca.crt of a mount of Secret medrec-kafka-cluster-ca-cert",
        ),
        (
            lambda objs: _set_env(
                named(objs, "Deployment", "medrec-ingest-worker"),
                "MEDREC_INGEST_KAFKA_SASL_MECHANISM",
                "SCRAM-SHA-256",
            ),
            "medrec-ingest-worker: MEDREC_INGEST_KAFKA_SASL_MECHANISM=SCRAM-SHA-256",
        ),
        (  # an api given its service's Kafka password: it speaks to no broker
            lambda objs: named(objs, "Deployment", "medrec-ingest-api")["spec"]["template"]["spec"][
                "containers"
            ][0]["env"].append(
                {
                    "name": "MEDREC_INGEST_KAFKA_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "medrec-ingest", "key": "password"}},
                }
            ),
            "medrec-ingest-api holds MEDREC_INGEST_KAFKA_PASSWORD",
        ),
        (  # the pods' egress back on the plain port: they cannot reach the tls listener
            lambda objs: named(objs, "NetworkPolicy", "medrec-catalog-worker")["spec"]["egress"][1][
                "ports"
            ][0].update(port=9092),
            "medrec-catalog-worker cannot reach kafka",
        ),
        (
            lambda objs: named(objs, "ScaledObject", "medrec-issuance-worker")["spec"].update(
                maxReplicaCount=1000
            ),
            "exceeds the partitions",
        ),
        (  # KEDA makes an HPA of its own: a second one would fight it
            lambda objs: objs.append(
                {
                    "apiVersion": "autoscaling/v2",
                    "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": "medrec-catalog-worker", "namespace": "medrec"},
                    "spec": {
                        "scaleTargetRef": {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": "medrec-catalog-worker",
                        },
                        "minReplicas": 1,
                        "maxReplicas": 2,
                    },
                }
            ),
            "medrec-catalog-worker also has a HorizontalPodAutoscaler",
        ),
        (
            lambda objs: objs.remove(named(objs, "ScaledObject", "medrec-ingest-worker")),
            "medrec-ingest-worker: no ScaledObject with a kafka trigger",
        ),
        (
            lambda objs: named(objs, "ScaledObject", "medrec-catalog-worker")["spec"]["triggers"][
                0
            ]["metadata"].update(consumerGroup="catalogue"),
            "consumerGroup catalogue is not the worker's catalog",
        ),
        (  # KEDA reads the lag where the worker consumes: the tls listener in prod
            lambda objs: named(objs, "ScaledObject", "medrec-issuance-worker")["spec"]["triggers"][
                0
            ]["metadata"].update(bootstrapServers="medrec-kafka-kafka-bootstrap:9092"),
            "bootstrapServers medrec-kafka-kafka-bootstrap:9092 are not the worker's",
        ),
        (  # ... as the worker's KafkaUser
            lambda objs: named(objs, "TriggerAuthentication", "medrec-catalog-kafka")["spec"][
                "secretTargetRef"
            ][0].update(name="medrec-ingest"),
            "TriggerAuthentication/medrec/medrec-catalog-kafka: password is not the worker's",
        ),
        (
            lambda objs: objs.remove(named(objs, "TriggerAuthentication", "medrec-ingest-kafka")),
            "TriggerAuthentication medrec-ingest-kafka is not rendered",
        ),
        (
            lambda objs: named(objs, "Tenant", "medrec-minio")["spec"]["buckets"].pop(0),
            "not created by the tenant",
        ),
        (
            lambda objs: named(objs, "KafkaTopic", "medrec-audit-v1")["spec"].update(replicas=2),
            "replicas must be 3",
        ),
        (
            lambda objs: named(objs, "Service", "medrec-catalog")["spec"]["ports"][0].update(
                port=80
            ),
            "MEDREC_ISSUANCE_CATALOG_URL",
        ),
        (
            lambda objs: objs.remove(named(objs, "NetworkPolicy", "medrec-catalog-worker")),
            "medrec-catalog-worker cannot reach ingest, which it needs",
        ),
        (
            lambda objs: (  # both sides, as for any flow
                named(objs, "NetworkPolicy", "medrec-catalog-worker")["spec"]["egress"].append(
                    {"to": [{"podSelector": {"matchLabels": {"v1.min.io/tenant": "medrec-minio"}}}]}
                ),
                named(objs, "NetworkPolicy", "medrec-minio")["spec"]["ingress"].append(
                    {"from": [{"podSelector": {}}]}
                ),
            ),
            "medrec-catalog-worker may reach minio, which it does not need",
        ),
        (  # both sides must be opened for a flow: egress of one pod, ingress of the other
            lambda objs: (
                named(objs, "NetworkPolicy", "medrec-ingest-api")["spec"]["ingress"][0][
                    "from"
                ].append({"podSelector": {}}),
                named(objs, "NetworkPolicy", "medrec-identity-worker")["spec"]["egress"].append(
                    {"to": [{"podSelector": {}}]}
                ),
            ),
            "medrec-identity-worker may reach ingest, which it does not need",
        ),
        (
            lambda objs: objs.remove(named(objs, "NetworkPolicy", "medrec-allow-dns")),
            "cannot resolve names",
        ),
        (
            lambda objs: named(objs, "Kafka", "medrec-kafka")["spec"]["kafka"]["listeners"][0][
                "networkPolicyPeers"
            ][0]["podSelector"]["matchExpressions"][0].update(values=["api"]),
            "medrec-catalog-worker cannot reach kafka",
        ),
        (  # the services' own settings classes judge the rendered environment
            lambda objs: _drop_env(
                named(objs, "Deployment", "medrec-issuance-api"), "MEDREC_ISSUANCE_PERSON_INDEX_KEY"
            ),
            "medrec-issuance-api: the service refuses this configuration: "
            "MEDREC_ISSUANCE_PERSON_INDEX_KEY: Field required",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "identity"))["data"].update(
                MEDREC_IDENTITY_VERIFICATION_PROVIDER="sandbox"
            ),
            "sandbox verification provider is only allowed in the local stack",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "ingest"))["data"].update(
                MEDREC_INGEST_RECORD_BUCKET="medrec-records"
            ),
            "MEDREC_INGEST_RECORD_BUCKET is no setting of ingest",
        ),
        (  # the ingress's body limits are the services' (k8s_check.bodies)
            lambda objs: _annotate(objs, "medrec-records", "proxy-body-size", "75g"),
            "proxy-body-size 75g passes bodies over 65536",
        ),
        (
            lambda objs: _annotate(objs, "medrec-transfer", "proxy-body-size", "64m"),
            "proxy-body-size 64m cuts ingest's bodies",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "ingest"))["data"].update(
                MEDREC_INGEST_CONTENT_MAX_BYTES=str(76 * 1024**3)
            ),
            "proxy-body-size 75g cuts ingest's bodies",
        ),
        (
            lambda objs: _annotate(objs, "medrec-transfer", "proxy-request-buffering", None),
            "set proxy-request-buffering off",
        ),
        (
            lambda objs: _annotate(objs, "medrec-copies", "proxy-body-size", None),
            "set proxy-body-size",
        ),
        (  # the portal reads uploads as they come (issue #25 item 3)
            lambda objs: _annotate(objs, "medrec-portal", "proxy-request-buffering", None),
            "portal's uploads stream: set proxy-request-buffering off",
        ),
        # Issue #25 item 8: the proxies the APIs trust are a small pool, never the pod network.
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "catalog"))["data"].update(
                MEDREC_CATALOG_FORWARDED_ALLOW_IPS="10.244.0.0/16"
            ),
            "medrec-catalog-api: MEDREC_CATALOG_FORWARDED_ALLOW_IPS trusts 10.244.0.0/16 "
            "(65536 addresses), the pod network or more",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "identity"))["data"].update(
                MEDREC_IDENTITY_FORWARDED_ALLOW_IPS="10.250.0.0/26,0.0.0.0/0"
            ),
            "MEDREC_IDENTITY_FORWARDED_ALLOW_IPS trusts 0.0.0.0/0",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "portal"))["data"].update(
                MEDREC_PORTAL_FORWARDED_ALLOW_IPS="*"
            ),
            "medrec-portal-api: MEDREC_PORTAL_FORWARDED_ALLOW_IPS=* believes any caller's",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "ingest"))["data"].pop(
                "MEDREC_INGEST_FORWARDED_ALLOW_IPS"
            ),
            "medrec-ingest-api: set MEDREC_INGEST_FORWARDED_ALLOW_IPS",
        ),
        # ... and the monitoring namespace reaches the metrics port only.
        (
            lambda objs: named(objs, "NetworkPolicy", "medrec-issuance-api")["spec"]["ingress"][0][
                "from"
            ].append({"namespaceSelector": {"matchLabels": {"medrec.io/monitoring": "true"}}}),
            "medrec-issuance-api: the monitoring namespace may reach port 8004",
        ),
        (  # the whole ingress namespace, not its controller
            lambda objs: named(objs, "NetworkPolicy", "medrec-identity-api")["spec"]["ingress"][0][
                "from"
            ][0].pop("podSelector"),
            "medrec-identity-api: namespaces {'medrec.io/ingress': 'true'} may reach port 8001",
        ),
        (
            lambda objs: named(objs, "NetworkPolicy", "medrec-catalog-api")["spec"]["ingress"][0][
                "from"
            ].append({"ipBlock": {"cidr": "10.244.0.0/16"}}),
            "medrec-catalog-api: an address block (10.244.0.0/16) may reach port 8003",
        ),
        (  # any pod of the namespace on an api port
            lambda objs: named(objs, "NetworkPolicy", "medrec-ingest-api")["spec"]["ingress"][0][
                "from"
            ].append({"podSelector": {}}),
            "medrec-ingest-api: any pod of the namespace may reach port 8002",
        ),
        (
            lambda objs: named(objs, "NetworkPolicy", "medrec-portal-api")["spec"]["ingress"].pop(),
            "medrec-portal-api: the monitoring namespace cannot reach its metrics port",
        ),
        (
            lambda objs: named(objs, "NetworkPolicy", "medrec-catalog-api")["spec"]["ingress"][
                1
            ].pop("ports"),
            "medrec-catalog-api: the monitoring namespace may reach port 8003",
        ),
        (
            lambda objs: named(objs, "ConfigMap", _cm(objs, "issuance"))["data"].update(
                MEDREC_ISSUANCE_API_METRICS_PORT="8004"
            ),
            "medrec-issuance-api: MEDREC_ISSUANCE_API_METRICS_PORT=8004 is not its metrics port",
        ),
    ],
)
def test_consistency_catches_mismatches(
    k8s_check: ModuleType, rendered: Any, mutate: Any, expected: str
) -> None:
    objects = copy.deepcopy(rendered["overlays/prod"])
    assert k8s_check.check_consistency(k8s_check.Rendered(objects)) == []
    mutate(objects)
    problems = k8s_check.check_consistency(k8s_check.Rendered(objects))
    assert any(expected in p for p in problems), problems


def _annotate(objects: list[Obj], ingress: str, name: str, value: str | None) -> None:
    annotations = named(objects, "Ingress", ingress)["metadata"]["annotations"]
    key = f"nginx.ingress.kubernetes.io/{name}"
    if value is None:
        annotations.pop(key)
    else:
        annotations[key] = value


def test_only_the_transfer_api_takes_large_bodies(rendered: Any) -> None:
    sizes: dict[str, str] = {}
    for ingress in (o for o in rendered["overlays/prod"] if o["kind"] == "Ingress"):
        annotations = ingress["metadata"]["annotations"]
        (rule,) = ingress["spec"]["rules"]  # one host each: nginx's body limit is per Ingress
        sizes[rule["host"]] = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
        streamed = annotations.get("nginx.ingress.kubernetes.io/proxy-request-buffering")
        streaming_hosts = ("transfer.medrec.example", "portal.medrec.example")
        assert (streamed == "off") == (rule["host"] in streaming_hosts)
    assert sizes == {
        "id.medrec.example": "64k",
        "transfer.medrec.example": "75g",
        "records.medrec.example": "64k",
        "copies.medrec.example": "129m",
        "portal.medrec.example": "129m",  # a copy uploaded to 진위확인
        "console.medrec.internal": "1m",  # the staff's console: forms only (internal class)
    }


def test_the_transfer_host_serves_the_api_its_fhir_base_and_openapi_document_only(
    rendered: Any,
) -> None:
    ingress = named(rendered["overlays/prod"], "Ingress", "medrec-transfer")
    (rule,) = ingress["spec"]["rules"]
    routed = {(p["path"], p["pathType"], p["backend"]["service"]["name"])
              for p in rule["http"]["paths"]}  # fmt: skip
    assert routed == {
        ("/v1/transfers", "Prefix", "medrec-ingest"),
        ("/v1/schemas", "Prefix", "medrec-ingest"),
        ("/fhir", "Prefix", "medrec-ingest"),  # ITI-65 and its CapabilityStatement (#30)
        ("/openapi.json", "Exact", "medrec-ingest"),  # /internal, /metrics, /docs stay inside
    }  # and /v1/admin (#27): the console and the operators reach it in the cluster


def _set_env(workload: Obj, name: str, value: str) -> None:
    container = workload["spec"]["template"]["spec"]["containers"][0]
    (item,) = (e for e in container["env"] if e["name"] == name)
    item["value"] = value


def _drop_env(workload: Obj, name: str) -> None:
    container = workload["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [e for e in container["env"] if e["name"] != name]


def _cm(objects: list[Obj], service: str) -> str:
    return next(
        o["metadata"]["name"]
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith(f"medrec-{service}-config")
    )


def test_policy_findings_are_all_explained_and_none_is_high(report: Any) -> None:
    for t in report.targets:
        assert t.policy.unexplained == [], [str(f) for f in t.policy.unexplained]
        assert all(f.rule.severity != "HIGH" for f, _ in t.policy.explained)
    exceptions = yaml.safe_load((REPO / "deploy/k8s/policy-exceptions.yaml").read_text())
    assert all(len(e["reason"]) > 40 for e in exceptions)


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda c, p: p["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "MR06"),
        (lambda c, p: c["env"].append({"name": "X_PASSWORD", "value": "hunter2hunter2"}), "MR07"),
        (lambda c, p: c.pop("livenessProbe"), "MR12"),
    ],
)
def test_policy_catches_insecure_pods(
    k8s_policy: ModuleType, rendered: Any, mutate: Any, rule: str
) -> None:
    objects = copy.deepcopy(rendered["overlays/prod"])
    deployment = named(objects, "Deployment", "medrec-ingest-api")
    pod = deployment["spec"]["template"]["spec"]

    def rules() -> set[str]:
        findings = k8s_policy.findings_of("t", objects)
        return {f.rule.id for f in findings if f.name == "medrec-ingest-api"}

    assert rule not in rules()
    mutate(pod["containers"][0], pod)
    assert rule in rules()


def test_policy_refuses_secrets_in_the_manifests(k8s_policy: ModuleType) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "medrec-ingest-secrets", "namespace": "medrec"},
        "stringData": {"CONTENT_KEYS": "kek-1:AAAA"},
    }
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "medrec"},
        "data": {
            "MEDREC_INGEST_CONTENT_KEYS": "kek-1:AAAA",
            "MEDREC_INGEST_CONTENT_KEY_ACTIVE": "x",
        },
    }
    rules = [f.rule.id for f in k8s_policy.findings_of("t", [secret, config])]
    assert rules == ["MR07", "MR07"]


def test_no_secret_is_written_in_the_repository() -> None:
    for path in [*(REPO / "deploy").rglob("*"), REPO / "docs" / "operations.md"]:
        if not path.is_file() or path.suffix not in (".yaml", ".yml", ".env", ".md"):
            continue
        text = path.read_text()
        assert "PRIVATE KEY-----" not in text, path
        for doc in yaml.safe_load_all(text) if path.suffix in (".yaml", ".yml") else []:
            if isinstance(doc, dict):
                assert doc.get("kind") != "Secret", path


def test_services_and_probes_use_the_service_ports(rendered: Any) -> None:
    objects = rendered["overlays/prod"]
    for svc in SERVICES:
        service = named(objects, "Service", f"medrec-{svc}")
        assert service["spec"]["ports"][0]["port"] == PORTS[svc]
        api = named(objects, "Deployment", f"medrec-{svc}-api")["spec"]["template"]["spec"]
        container = api["containers"][0]
        assert container["command"] == [f"medrec-{svc}-api"]
        assert container["ports"] == [
            {"name": "http", "containerPort": PORTS[svc], "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9100, "protocol": "TCP"},
        ]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        worker = named(objects, "Deployment", f"medrec-{svc}-worker")["spec"]["template"]["spec"]
        assert worker["containers"][0]["command"] == [f"medrec-{svc}-worker"]
        job = named(objects, "Job", f"medrec-{svc}-migrate")["spec"]["template"]["spec"]
        assert job["containers"][0]["command"] == [f"medrec-{svc}-migrate"]
        assert job["restartPolicy"] == "Never"


def test_engines_have_replication_and_backups(rendered: Any) -> None:
    for name in ("overlays/dev", "overlays/prod"):
        objects = rendered[name]
        kafka = named(objects, "Kafka", "medrec-kafka")["spec"]["kafka"]
        assert kafka["config"]["default.replication.factor"] == 3
        assert kafka["config"]["min.insync.replicas"] == 2
        for topic in (o for o in objects if o["kind"] == "KafkaTopic"):
            assert topic["spec"]["replicas"] == 3
            assert topic["spec"]["config"]["min.insync.replicas"] == 2
        users = {o["metadata"]["name"] for o in objects if o["kind"] == "KafkaUser"}
        assert users == {f"medrec-{s}" for s in SERVICES}
        cluster = named(objects, "Cluster", "medrec-pg")["spec"]
        assert cluster["instances"] == 3
        assert (
            cluster["backup"]["barmanObjectStore"]["destinationPath"] == "s3://medrec-pg-backups/"
        )
        assert named(objects, "ScheduledBackup", "medrec-pg-daily")["spec"]["cluster"] == {
            "name": "medrec-pg"
        }
        tenant = named(objects, "Tenant", "medrec-minio")["spec"]
        pool = tenant["pools"][0]
        assert pool["servers"] * pool["volumesPerServer"] >= 4  # distributed, erasure coded
        assert pool["servers"] >= 4


def test_containerfiles(rendered: Any) -> None:
    for svc in SERVICES:
        text = (REPO / "deploy" / "images" / svc / "Containerfile").read_text()
        stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.M)
        assert stages == [("${BUILD_IMAGE}", "build"), ("${BASE_IMAGE}", "")], svc
        assert re.search(r"^ARG BASE_IMAGE=", text, re.M)
        runtime = text.split("\nFROM ${BASE_IMAGE}\n", 1)[1]
        assert re.search(r"^USER 10001:10001$", runtime, re.M)
        assert "/opt/uv" not in runtime and "pip" not in runtime and "apt-get" not in runtime
        assert f'CMD ["medrec-{svc}-api"]' in runtime
        assert f"EXPOSE {PORTS[svc]}" in runtime
        assert f"--package medrec-{svc}" in text and "--frozen" in text
        # The image's UID is the one the pods run as.
        pod = named(rendered["overlays/prod"], "Deployment", f"medrec-{svc}-api")
        assert pod["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 10001


def test_make_fragment_defines_the_targets() -> None:
    text = (REPO / "deploy" / "k8s.mk").read_text()
    for target in ("k8s-check", "images", "image-smoke", "k8s-checkov"):
        assert re.search(rf"^{target}:", text, re.M), target
    assert "PYTHONPATH=deploy/tools $(BIN)/python -m k8s_check" in text


def _peers_on(policy: Obj, port: int) -> list[Obj]:
    return [
        peer
        for rule in policy["spec"]["ingress"]
        if any(p["port"] == port for p in rule["ports"])
        for peer in rule["from"]
    ]


MONITORING = {"namespaceSelector": {"matchLabels": {"medrec.io/monitoring": "true"}}}
INGRESS_CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"medrec.io/ingress": "true"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
}


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_monitoring_reaches_the_metrics_port_only(rendered: Any, overlay: str) -> None:
    """Issue #25 item 8: the monitoring namespace scrapes 9100 of every medrec pod (api and
    worker) and reaches no API port; only it reaches 9100."""
    objects = rendered[overlay]
    for svc in (*SERVICES, "portal"):
        components = ("api",) if svc == "portal" else ("api", "worker")
        for component in components:
            deployment = named(objects, "Deployment", f"medrec-{svc}-{component}")
            template = deployment["spec"]["template"]
            assert template["metadata"]["annotations"]["prometheus.io/port"] == "9100"
            policy = named(objects, "NetworkPolicy", f"medrec-{svc}-{component}")
            assert _peers_on(policy, 9100) == [MONITORING]
            if component == "api":
                assert MONITORING not in _peers_on(policy, PORTS.get(svc, 8000))
                config = named(objects, "ConfigMap", _cm(objects, svc))["data"]
                assert config[f"MEDREC_{svc.upper()}_API_METRICS_PORT"] == "9100"


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_api_ports_only_from_the_ingress_controller_and_their_callers(
    k8s_check: ModuleType, rendered: Any, overlay: str
) -> None:
    """An api's port lets in the ingress controller's pods and the medrec pods the flows table
    (k8s_check.flows.FLOWS) says call it: the portal for identity, catalog and issuance;
    catalog and issuance for ingest's internal API; nothing else."""
    flows = importlib.import_module("k8s_check.flows").FLOWS
    objects = rendered[overlay]
    pods = [
        o["spec"]["template"]["metadata"]["labels"]
        for o in objects
        if o["kind"] in ("Deployment", "Job") and o["metadata"]["name"].startswith("medrec-")
    ]
    stranger = {"app.kubernetes.io/name": "stranger", "app.kubernetes.io/component": "api"}
    for svc in (*SERVICES, "portal"):
        policy = named(objects, "NetworkPolicy", f"medrec-{svc}-api")
        peers = _peers_on(policy, PORTS.get(svc, 8000))
        assert INGRESS_CONTROLLER in peers
        pod_peers = [p for p in peers if "namespaceSelector" not in p]
        assert all(set(p) == {"podSelector"} for p in pod_peers)  # no address blocks
        let_in = {
            (labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"])
            for labels in [*pods, stranger]
            if any(k8s_check.labels_match(p["podSelector"], labels) for p in pod_peers)
        }
        callers = {
            (f"medrec-{src}", role) for (src, role), wanted in flows.items() if svc in wanted
        }
        assert let_in == callers, svc
    assert {c for (c, _), w in flows.items() if "ingest" in w} == {"catalog", "issuance", "console"}
    assert {c for (c, _), w in flows.items() if "catalog" in w} >= {"portal", "issuance"}


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_forwarded_allow_ips_is_a_small_pool_not_the_pod_network(
    rendered: Any, overlay: str
) -> None:
    objects = rendered[overlay]
    for svc in (*SERVICES, "portal"):
        config = named(objects, "ConfigMap", _cm(objects, svc))["data"]
        value = config[f"MEDREC_{svc.upper()}_FORWARDED_ALLOW_IPS"]
        for entry in value.split(","):
            network = ipaddress.ip_network(entry.strip(), strict=False)
            assert network.num_addresses <= 256, (svc, value)
            assert not network.overlaps(ipaddress.ip_network("10.244.0.0/16")), (svc, value)
