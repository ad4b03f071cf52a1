"""Who may reach a medrec pod from outside the namespace, and whose X-Forwarded-For the APIs
believe (issue #25, item 8). The monitoring namespace may reach only each pod's `metrics` port;
an api's `http` port is open only to the ingress controller and to medrec pods (which ones:
`flows.FLOWS`, the portal among them); nothing reaches a medrec pod from an address block.
Since #27: the console's `http` port is open to the INTERNAL ingress controller only (never the
public one), and the four services' `http` ports also to the operators' namespace (medrec-admin).
Which paths of an api each may call is the Ingresses' to say, not L4's (check_public_paths).
The APIs trust the forwarded address of a small pool only (the ingress controller's and the
portal's pods), never the pod network, or any pod could forge its address past the per-address
limits."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from .objects import CONSOLE, FRONT_DOORS, SERVICES, Obj, Rendered, containers, pod_labels
from .selector import labels_match

INGRESS_NAMESPACE = {"medrec.io/ingress": "true"}
# The internal ingress controller's namespace (class internal-nginx): the console's host.
INTERNAL_INGRESS_NAMESPACE = {"medrec.io/internal-ingress": "true"}
# Where medrec-admin runs (the operators' jobs, with the machine account's credentials).
OPERATORS_NAMESPACE = {"medrec.io/operators": "true"}
MONITORING_NAMESPACE = {"medrec.io/monitoring": "true"}
# The ingress controller's pods (ingress-nginx, the class the Ingresses name).
INGRESS_CONTROLLER = {"app.kubernetes.io/name": "ingress-nginx"}
# A pod no flow names: a peer that would let it in lets in any pod of the namespace.
STRANGER = {"app.kubernetes.io/name": "stranger", "app.kubernetes.io/component": "api"}
# The most addresses FORWARDED_ALLOW_IPS may trust in one entry: a pool for a few pods, not the
# pod network (flannel's 10.244.0.0/16, Calico's 192.168.0.0/16, Cilium's 10.0.0.0/8, ...).
MAX_TRUSTED_ADDRESSES = 256
# The ingress classes: the public controller's, and the internal one the console's host is on.
PUBLIC_CLASS, INTERNAL_CLASS = "nginx", "internal-nginx"
# Paths of the APIs no public host may route (nor any prefix of them, "/" or "/v1"): the staff's
# and operators' routes (#27), the services' internal API and their metrics.
STAFF_ONLY_PATHS = ("/v1/admin/", "/v1/clients", "/v1/staff", "/internal/", "/metrics")


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
        http = svc is not None and port == ports.get("http")
        # The console's host is the internal controller's alone; the APIs' the public one's.
        wanted = INTERNAL_INGRESS_NAMESPACE if svc == CONSOLE else INGRESS_NAMESPACE
        controller = labels_match(pods, INGRESS_CONTROLLER) and not labels_match(pods, STRANGER)
        if controller and labels == wanted:
            return None if http else "the ingress controller"
        if controller and labels in (INGRESS_NAMESPACE, INTERNAL_INGRESS_NAMESPACE):
            other = "public" if labels == INGRESS_NAMESPACE else "internal"
            return f"the {other} ingress controller"
        if labels == OPERATORS_NAMESPACE and not pods and svc in SERVICES:
            return None if http else "the operators' namespace"
        return f"namespaces {labels or 'all'}"
    pods = peer.get("podSelector") or {}
    if svc is None or port != ports.get("http"):
        return "medrec pods"
    if labels_match(pods, STRANGER):
        return "any pod of the namespace"
    # Which medrec pods it lets in is check_flows' (FLOWS, both sides of each flow).
    return None


def check_exposure(r: Rendered) -> Iterator[str]:
    apis = {f"medrec-{svc}-api": svc for svc in (*SERVICES, *FRONT_DOORS)}
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
                            spaces = peer["namespaceSelector"].get("matchLabels") or {}
                            public |= port == ports.get("http") and spaces in (
                                INGRESS_NAMESPACE,
                                INTERNAL_INGRESS_NAMESPACE,
                            )
        if "metrics" in ports and not scraped:
            yield f"{name}: the monitoring namespace cannot reach its metrics port"
        if svc is not None and not public:
            yield f"{name}: the ingress controller cannot reach its http port"


def check_trusted_proxies(r: Rendered) -> Iterator[str]:
    """Each api believes X-Forwarded-For from a small pool only, never the pod network."""
    for svc in (*SERVICES, *FRONT_DOORS):
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


def _reaches(path: str, path_type: str, protected: str) -> bool:
    """Whether an Ingress path routes requests for `protected` (or anything under it)."""
    if path_type == "Exact":
        return path == protected.rstrip("/") or path.startswith(protected)
    # Prefix (element-wise, as Kubernetes defines it), and ImplementationSpecific read the same.
    if path in ("", "/"):
        return True
    prefix = path.rstrip("/") + "/"
    return (protected.rstrip("/") + "/").startswith(prefix) or path.startswith(protected)


def check_public_paths(r: Rendered) -> Iterator[str]:
    """The public Ingresses route no staff path of an API (#27) and never the console; the
    console is served by the internal class only. (NetworkPolicy cannot tell paths apart: the
    public controller must reach the APIs' port for their public routes.)"""
    for ingress in r.of("Ingress"):
        name = ingress["metadata"]["name"]
        klass = ingress["spec"].get("ingressClassName")
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"].get("service", {}).get("name", "")
                route = path.get("path", "/")
                if backend == f"medrec-{CONSOLE}":
                    if klass != INTERNAL_CLASS:
                        yield f"Ingress {name}: the console on class {klass}, not {INTERNAL_CLASS}"
                    continue
                if klass == INTERNAL_CLASS:
                    yield f"Ingress {name}: the internal class serves the console alone ({backend})"
                    continue
                if backend.removeprefix("medrec-") not in SERVICES:
                    continue  # the portal: a front door of its own, all its paths public
                for protected in STAFF_ONLY_PATHS:
                    if _reaches(route, path.get("pathType", "Prefix"), protected):
                        yield f"Ingress {name}: {route} on a public host reaches {protected}"
