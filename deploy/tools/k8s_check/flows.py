"""Network flows: the NetworkPolicies (and Strimzi's, from the listeners' networkPolicyPeers)
open exactly FLOWS between the medrec pods and their engines and apis, both sides of each flow
(egress of the client, ingress of the server; for Kafka, on the listener the service's
bootstrap servers name), and every medrec pod may resolve names."""

from __future__ import annotations

from .objects import CONSOLE, FRONT_DOORS, PORTAL, SERVICES, Obj, Rendered
from .selector import labels_match

# The flows of ARCHITECTURE.md, as the services' code makes them: which medrec pod talks to which
# engine or api. The NetworkPolicies must allow exactly these among the namespace's pods.
# Nothing else reaches an api's port: from outside the namespace only the ingress controller
# (and, on the metrics port alone, monitoring; see exposure.py), so this table is also the list
# of the medrec pods an api lets in (tests/deploy asserts both).
# Only the workers speak to Kafka (the outbox relay, the consumers): an api writes its events to
# the outbox table, and a compromised api pod can neither reach the brokers nor authenticate.
FLOWS: dict[tuple[str, str], set[str]] = {
    ("identity", "api"): {"pg", "identity"},  # identity reads its own JWKS URL
    ("identity", "worker"): {"pg", "kafka"},
    ("ingest", "api"): {"pg", "minio", "identity", "issuance"},  # a transfer's receipt (#29)
    ("ingest", "worker"): {"pg", "kafka", "minio"},  # destruction deletes objects
    ("catalog", "api"): {"pg", "identity", "ingest"},  # linkage review: demographics
    ("catalog", "worker"): {"pg", "kafka", "identity", "ingest"},
    ("issuance", "api"): {"pg", "minio", "identity", "catalog"},
    ("issuance", "worker"): {"pg", "kafka", "minio", "identity", "catalog", "ingest"},
    # The portal calls the three APIs with the citizen's token; its database holds sessions.
    (PORTAL, "api"): {"pg", "identity", "catalog", "issuance"},
    # The console calls the four APIs (their admin routes) with the staff person's token; its
    # database holds the staff's sessions.
    (CONSOLE, "api"): {"pg", "identity", "ingest", "catalog", "issuance"},
} | {(svc, "migrate"): {"pg"} for svc in (*SERVICES, *FRONT_DOORS)}


def _peer_matches(peer: Obj, labels: dict[str, str], ns: str) -> bool:
    if "ipBlock" in peer:
        return False
    spaces = peer.get("namespaceSelector")
    if (
        spaces is not None
        and (spaces.get("matchLabels") or {}).get("kubernetes.io/metadata.name") != ns
    ):
        return False  # another namespace (or a label we cannot resolve here)
    return labels_match(peer.get("podSelector") or {}, labels)


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
        and labels_match(np["spec"]["podSelector"], pod)
    ]
    if not selecting:
        return True  # not isolated in that direction
    return any(
        _rule_allows(rule, field_, peer, port, ns)
        for np in selecting
        for rule in np["spec"].get(key, [])
    )


def _bootstrap_ports(r: Rendered, svc: str) -> set[int]:
    """The ports of the service's bootstrap servers (as its api's settings name them)."""
    servers = r.config(svc).get(f"MEDREC_{svc.upper()}_KAFKA_BOOTSTRAP_SERVERS", "")
    return {
        int(port)
        for server in servers.split(",")
        if (port := server.strip().rpartition(":")[2]).isdigit()
    }


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
    # Kafka: each listener with the NetworkPolicy Strimzi generates for it (ingress from its
    # peers, or anyone). A service needs the listener its bootstrap servers name; any listener
    # open to a pod that needs no Kafka is one too many.
    listeners: dict[int, tuple[dict[str, str], list[Obj]]] = {}
    for k in r.of("Kafka"):
        name = k["metadata"]["name"]
        labels = {
            "strimzi.io/cluster": name,
            "strimzi.io/kind": "Kafka",
            "strimzi.io/broker-role": "true",
            "strimzi.io/name": f"{name}-kafka",
        }
        for listener in k["spec"]["kafka"]["listeners"]:
            port = listener["port"]
            peers = listener.get("networkPolicyPeers")
            generated = {
                "spec": {
                    "podSelector": {"matchLabels": labels},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"ports": [{"port": port}]} | ({"from": peers} if peers else {})],
                }
            }
            listeners[port] = (labels, [*policies, generated])
    for svc in (*SERVICES, *FRONT_DOORS):
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
        kafka_open = {
            port
            for port, (dst, dst_policies) in listeners.items()
            if _allowed(policies, "Egress", src, dst, port, ns)
            and _allowed(dst_policies, "Ingress", dst, src, port, ns)
        }
        if "kafka" in wanted:
            needed = _bootstrap_ports(r, svc)
            if needed and needed <= kafka_open:
                open_.add("kafka")
        elif kafka_open:
            open_.add("kafka")
        who = f"medrec-{svc}-{component}"
        for missing in sorted(wanted - open_):
            errors.append(f"{who} cannot reach {missing}, which it needs")
        for extra in sorted(open_ - wanted):
            errors.append(f"{who} may reach {extra}, which it does not need")
        dns_open = any(
            _rule_allows(rule, "to", dns, 53, "kube-system")
            for np in policies
            if "Egress" in np["spec"].get("policyTypes", [])
            and labels_match(np["spec"]["podSelector"], src)
            for rule in np["spec"].get("egress", [])
        )
        if not dns_open:
            errors.append(f"{who} cannot resolve names (no egress to kube-dns)")
    return errors
