"""The rendered objects of one target and the few facts about medrec the checks share: its
services, the topics their workers consume and produce, and how a service's settings are read
from its api Deployment (ConfigMaps, then `env`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from medrec_shared.rules.topics import CONSUMES, SERVICES, produces

REPO = Path(__file__).resolve().parents[3]
K8S = REPO / "deploy" / "k8s"
# The topic settings (TOPIC_RECORD, ...) each service's worker reads in its consumer group, and
# those of the events it owns, from the code's own table (medrec_shared.rules.topics, which the
# workers subscribe from and the outbox enforces): the partitions of the consumed ones bound the
# useful replicas of a worker, and both make the service's KafkaUser ACLs.
CONSUMED: dict[str, tuple[str, ...]] = {
    svc: tuple(t.upper() for t in topics) for svc, topics in CONSUMES.items()
}
PRODUCED: dict[str, tuple[str, ...]] = {
    svc: tuple(sorted(t.upper() for t in produces(svc))) for svc in SERVICES
}
# The citizens' portal (portal/): an api and a migrate Job, no worker, no Kafka, no storage.
PORTAL = "portal"
# The staff's console (console/, #27): the same shape as the portal (an api and a migrate Job), on
# an internal host of an internal ingress class only; it calls the four APIs' admin routes.
CONSOLE = "console"
FRONT_DOORS = (PORTAL, CONSOLE)
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "Job")

Obj = dict[str, Any]


def object_id(obj: Obj) -> str:
    meta = obj.get("metadata", {})
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')}/{ns}{meta.get('name')}"


def pod_labels(workload: Obj) -> dict[str, str]:
    """The labels of a workload's pods (its template's)."""
    labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
    return labels


def containers(workload: Obj) -> list[Obj]:
    found: list[Obj] = workload["spec"]["template"]["spec"]["containers"]
    return found


def secret_of(workload: Obj, env_name: str) -> str | None:
    """The Secret the first container's `env_name` comes from."""
    for env in containers(workload)[0].get("env", []):
        if env["name"] == env_name:
            name: str | None = env.get("valueFrom", {}).get("secretKeyRef", {}).get("name")
            return name
    return None


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
        container = containers(deployment)[0]
        values: dict[str, str] = {}
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef", {}).get("name")
            cm = self.named("ConfigMap", ref) if ref else None
            values |= (cm or {}).get("data", {})
        for env in container.get("env", []):
            if "value" in env:
                values[env["name"]] = env["value"]
        return values


@dataclass(frozen=True)
class ServiceConfig:
    """One service's settings as its api Deployment sets them, for the checks of its wiring."""

    service: str
    values: dict[str, str]
    api: Obj

    @property
    def prefix(self) -> str:
        return f"MEDREC_{self.service.upper()}_"

    @property
    def who(self) -> str:
        return f"medrec-{self.service}"
