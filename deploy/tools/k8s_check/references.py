"""References: the objects of a rendering refer to each other correctly. Every ConfigMap and
ServiceAccount a workload names is rendered, probes use declared ports, Services select a
workload and target its port names, HorizontalPodAutoscalers and PodDisruptionBudgets find
their Deployments (and every Deployment has both), NetworkPolicies select pods, and every medrec
pod is isolated both ways."""

from __future__ import annotations

from collections.abc import Iterator

from .objects import SERVICES, Obj, Rendered, containers, object_id, pod_labels
from .selector import labels_match

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def check_workload_references(r: Rendered) -> Iterator[str]:
    """ConfigMaps of `envFrom` and the ServiceAccount are rendered; probes use declared ports."""
    configmaps = {o["metadata"]["name"] for o in r.of("ConfigMap")}
    for w in r.workloads:
        for c in containers(w):
            for source in c.get("envFrom", []):
                name = source.get("configMapRef", {}).get("name")
                if name and name not in configmaps:
                    yield f"{object_id(w)}: ConfigMap {name} is not rendered"
            yield from _probe_ports(w, c)
        sa = w["spec"]["template"]["spec"].get("serviceAccountName")
        if sa and r.named("ServiceAccount", sa) is None:
            yield f"{object_id(w)}: ServiceAccount {sa} is not rendered"


def _probe_ports(w: Obj, container: Obj) -> Iterator[str]:
    ports = {p.get("name") for p in container.get("ports", [])}
    for probe in PROBES:
        port = container.get(probe, {}).get("httpGet", {}).get("port")
        if isinstance(port, str) and port not in ports:
            yield f"{object_id(w)}: {probe} uses port {port}, not declared"


def check_service_backends(r: Rendered) -> Iterator[str]:
    """A Service's selector matches a workload, and its named targetPorts are container ports."""
    for svc in r.of("Service"):
        selector = svc["spec"].get("selector", {})
        backends = [
            w for w in r.workloads if labels_match({"matchLabels": selector}, pod_labels(w))
        ]
        if svc["spec"].get("selector") and not backends:
            yield f"{object_id(svc)}: selector matches no workload"
        for port in svc["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and backends:
                names = {
                    p.get("name")
                    for w in backends
                    for c in containers(w)
                    for p in c.get("ports", [])
                }
                if target not in names:
                    yield f"{object_id(svc)}: targetPort {target} is no container port name"


def check_autoscalers(r: Rendered) -> Iterator[str]:
    """An HPA's (or a KEDA ScaledObject's) target is rendered and leaves `replicas` to it;
    min <= max; no Deployment is scaled by both (KEDA makes an HPA of its own: two would fight)."""
    for hpa in r.of("HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        target = r.named(ref["kind"], ref["name"])
        if target is None:
            yield f"{object_id(hpa)}: target {ref['kind']}/{ref['name']} is not rendered"
        elif "replicas" in target["spec"]:
            yield f"{object_id(target)}: sets replicas although {object_id(hpa)} owns them"
        if hpa["spec"]["minReplicas"] > hpa["spec"]["maxReplicas"]:
            yield f"{object_id(hpa)}: minReplicas > maxReplicas"
    hpa_targets = {h["spec"]["scaleTargetRef"]["name"] for h in r.of("HorizontalPodAutoscaler")}
    for scaled in r.of("ScaledObject"):
        ref = scaled["spec"]["scaleTargetRef"]
        target = r.named(ref.get("kind", "Deployment"), ref["name"])
        if target is None:
            yield f"{object_id(scaled)}: target {ref['name']} is not rendered"
        elif "replicas" in target["spec"]:
            yield f"{object_id(target)}: sets replicas although {object_id(scaled)} owns them"
        if ref["name"] in hpa_targets:
            yield f"{object_id(scaled)}: {ref['name']} also has a HorizontalPodAutoscaler"
        spec = scaled["spec"]
        if spec.get("minReplicaCount", 0) > spec.get("maxReplicaCount", 100):
            yield f"{object_id(scaled)}: minReplicaCount > maxReplicaCount"
        for trigger in spec.get("triggers", []):
            auth = (trigger.get("authenticationRef") or {}).get("name")
            if auth and r.named("TriggerAuthentication", auth) is None:
                yield f"{object_id(scaled)}: TriggerAuthentication {auth} is not rendered"


def check_disruption_budgets(r: Rendered) -> Iterator[str]:
    """Every PodDisruptionBudget selects a Deployment's pods."""
    for pdb in r.of("PodDisruptionBudget"):
        if not any(
            labels_match(pdb["spec"]["selector"], pod_labels(w)) for w in r.of("Deployment")
        ):
            yield f"{object_id(pdb)}: selector matches no Deployment"


def check_deployments_budgeted_and_scaled(r: Rendered) -> Iterator[str]:
    """Every Deployment has a PodDisruptionBudget and a HorizontalPodAutoscaler (the workers: a
    KEDA ScaledObject, whose HPA KEDA makes)."""
    for d in r.of("Deployment"):
        labels = pod_labels(d)
        if not any(
            labels_match(p["spec"]["selector"], labels) for p in r.of("PodDisruptionBudget")
        ):
            yield f"{object_id(d)}: no PodDisruptionBudget"
        if not any(
            h["spec"]["scaleTargetRef"]["name"] == d["metadata"]["name"]
            for h in (*r.of("HorizontalPodAutoscaler"), *r.of("ScaledObject"))
        ):
            yield f"{object_id(d)}: no HorizontalPodAutoscaler nor ScaledObject"


def check_network_policies_select_pods(r: Rendered) -> Iterator[str]:
    """A NetworkPolicy's podSelector, and its peers in the namespace, match pods: a workload's,
    or an engine's pods (Kafka, PostgreSQL, MinIO) by the label their operator gives them."""
    engines = {
        "strimzi.io/cluster": {o["metadata"]["name"] for o in r.of("Kafka")},
        "cnpg.io/cluster": {o["metadata"]["name"] for o in r.of("Cluster")},
        "v1.min.io/tenant": {o["metadata"]["name"] for o in r.of("Tenant")},
    }

    def selects_something(selector: Obj) -> bool:
        labels = selector.get("matchLabels") or {}
        for key, names in engines.items():
            if key in labels:
                return labels[key] in names
        return any(labels_match(selector, pod_labels(w)) for w in r.workloads)

    for np in r.of("NetworkPolicy"):
        if not selects_something(np["spec"]["podSelector"]):
            yield f"{object_id(np)}: podSelector matches no pod"
        for rule in np["spec"].get("egress", []) + np["spec"].get("ingress", []):
            for peer in rule.get("to", []) + rule.get("from", []):
                own_namespace = "podSelector" in peer and "namespaceSelector" not in peer
                if own_namespace and not selects_something(peer["podSelector"]):
                    yield f"{object_id(np)}: peer {peer['podSelector']} matches no pod"


def check_medrec_pods_isolated(r: Rendered) -> Iterator[str]:
    """Each medrec api, worker and migration pod is rendered and selected by NetworkPolicies of
    both types, Ingress and Egress."""
    for svc in SERVICES:
        for component in ("api", "worker", "migrate"):
            kind = "Job" if component == "migrate" else "Deployment"
            w = r.named(kind, f"medrec-{svc}-{component}")
            if w is None:
                yield f"{kind} medrec-{svc}-{component} is not rendered"
                continue
            types = {
                t
                for np in r.of("NetworkPolicy")
                if labels_match(np["spec"]["podSelector"], pod_labels(w))
                for t in np["spec"].get("policyTypes", [])
            }
            if types != {"Ingress", "Egress"}:
                yield f"{object_id(w)}: not covered by Ingress and Egress NetworkPolicies"
