"""Who may reach a medrec pod from outside the namespace, and whose X-Forwarded-For the APIs
believe (issue #25, item 8). The monitoring namespace may reach only each pod's `metrics` port;
an api's `http` port is open only to the ingress controller and to medrec pods (which ones:
`flows.FLOWS`, the portal among them); nothing reaches a medrec pod from an address block. The APIs
trust the forwarded address of a small pool only (the ingress controller's and the portal's
pods), never the pod network, or any pod could forge its address past the per-address limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from .objects import PORTAL, SERVICES, Obj, Rendered, containers, pod_labels
from .selector import labels_match

INGRESS_NAMESPACE = {"medrec.io/ingress": "true"}
MONITORING_NAMESPACE = {"medrec.io/monitoring": "true"}
# The ingress controller's pods (ingress-nginx, the class the Ingresses name).
INGRESS_CONTROLLER = {"app.kubernetes.io/name": "ingress-nginx"}
# A pod no flow names: a peer that would let it in lets in any pod of the namespace.
STRANGER = {"app.kubernetes.io/name": "stranger", "app.kubernetes.io/component": "api"}
# The most addresses FORWARDED_ALLOW_IPS may trust in one entry: a pool for a few pods, not the
# pod network (flannel's 10.244.0.0/16, Calico's 192.168.0.0/16, Cilium's 10.0.0.0/8, ...).
MAX_TRUSTED_ADDRESSES = 256


def _named_ports(workload: Obj) -> dict[str, int]:
    return {
        p["name"]: p["containerPort"]
        for p in containers(workload)[0].get("ports", [])
        if "name" in p
    }


def _rule_ports(rule: Obj, open_ports: set[int]) -> set[int]:
    ports = rule.get("ports")
    if ports is None or any(p.get("port") is None for p in ports):
        return set(open_ports)  # every port of the pod
    return {p["port"] for p in ports} & open_ports


def _peer_problem(peer: Obj, port: int, ports: dict[str, int], svc: str | None) -> str | None:
    """Why `peer` may not reach `port` of a medrec pod (`svc`: the api's service; None: a
    worker), or None when it may."""
    if "ipBlock" in peer:
        return f"an address block ({peer['ipBlock'].get('cidr')})"
    spaces = peer.get("namespaceSelector")
    if spaces is not None:
        labels = spaces.get("matchLabels") or {}
        if labels == MONITORING_NAMESPACE and not peer.get("podSelector"):
            return None if port == ports.get("metrics") else "the monitoring namespace"
        pods = peer.get("podSelector") or {}
        controller = labels == INGRESS_NAMESPACE and labels_match(pods, INGRESS_CONTROLLER)
        if controller and not labels_match(pods, STRANGER):
            return None if svc and port == ports.get("http") else "the ingress controller"
        return f"namespaces {labels or 'all'}"
    pods = peer.get("podSelector") or {}
    if svc is None or port != ports.get("http"):
        return "medrec pods"
    if labels_match(pods, STRANGER):
        return "any pod of the namespace"
    # Which medrec pods it lets in is check_flows' (FLOWS, both sides of each flow).
    return None


def check_exposure(r: Rendered) -> Iterator[str]:
    apis = {f"medrec-{svc}-api": svc for svc in (*SERVICES, PORTAL)}
    for workload in r.of("Deployment"):
        name = workload["metadata"]["name"]
        if not name.startswith("medrec-"):
            continue
        svc = apis.get(name)
        ports = _named_ports(workload)
        if "metrics" not in ports:
            yield f"{name}: no container port named metrics (its /metrics is for monitoring)"
        if svc is not None and "http" not in ports:
            yield f"{name}: no container port named http"
        setting = f"MEDREC_{(svc or '').upper()}_API_METRICS_PORT"
        if svc is not None and r.config(svc).get(setting) != str(ports.get("metrics")):
            yield f"{name}: {setting}={r.config(svc).get(setting)} is not its metrics port"
        open_ports = set(ports.values())
        labels = pod_labels(workload)
        scraped = False
        public = False
        for np in r.of("NetworkPolicy"):
            spec = np["spec"]
            if "Ingress" not in spec.get("policyTypes", []):
                continue
            if not labels_match(spec["podSelector"], labels):
                continue
            for rule in spec.get("ingress", []):
                rule_ports = _rule_ports(rule, open_ports)
                peers = rule.get("from")
                if peers is None:
                    for port in sorted(rule_ports):
                        yield f"{name}: port {port} is open to anyone ({np['metadata']['name']})"
                    continue
                for peer in peers:
                    for port in sorted(rule_ports):
                        problem = _peer_problem(peer, port, ports, svc)
                        if problem:
                            yield f"{name}: {problem} may reach port {port}"
                        elif "namespaceSelector" in peer:
                            scraped |= port == ports.get("metrics")
                            public |= port == ports.get("http")
        if "metrics" in ports and not scraped:
            yield f"{name}: the monitoring namespace cannot reach its metrics port"
        if svc is not None and not public:
            yield f"{name}: the ingress controller cannot reach its http port"


def check_trusted_proxies(r: Rendered) -> Iterator[str]:
    """Each api believes X-Forwarded-For from a small pool only, never the pod network."""
    for svc in (*SERVICES, PORTAL):
        if r.named("Deployment", f"medrec-{svc}-api") is None:
            continue
        setting = f"MEDREC_{svc.upper()}_FORWARDED_ALLOW_IPS"
        value = r.config(svc).get(setting)
        if not value:
            yield (
                f"medrec-{svc}-api: set {setting} to the ingress controller's and the portal's "
                "pod IP pool (the overlay's)"
            )
            continue
        for entry in (e.strip() for e in value.split(",")):
            if entry == "*":
                yield f"medrec-{svc}-api: {setting}=* believes any caller's X-Forwarded-For"
                continue
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                yield f"medrec-{svc}-api: {setting} entry {entry!r} is no address or CIDR"
                continue
            if network.num_addresses > MAX_TRUSTED_ADDRESSES:
                yield (
                    f"medrec-{svc}-api: {setting} trusts {network} ({network.num_addresses} "
                    f"addresses), the pod network or more: any pod could forge X-Forwarded-For; "
                    f"trust the ingress controller's and the portal's own pool (at most "
                    f"{MAX_TRUSTED_ADDRESSES} addresses)"
                )
