"""The staff's routes are not on the public hosts (#27, item 8), and what each layer guarantees:

- the Ingresses (L7, paths): no public Ingress routes any path that reaches `/v1/admin/…`,
  identity's `/v1/clients` or `/v1/staff` (nor `/internal`, `/metrics`); the console is served
  by the internal ingress class alone, on an internal host, and the internal class serves
  nothing else;
- the NetworkPolicies (L3/L4, pods and ports): an API's port lets in, besides what it did
  before, the console's pods and the operators' namespace (medrec-admin), and nothing else new;
  the console's port lets in the internal ingress controller alone (never the public one).
  NetworkPolicy cannot tell a public route from an admin route on the same port: the public
  controller must reach the APIs for their public routes, so path separation is the Ingresses'.

And `k8s-check` catches a public Ingress that would route an admin path, or the console on the
public class."""

import copy
from typing import Any

import pytest

REPO_SERVICES = ("identity", "ingest", "catalog", "issuance")
PORTS = {"identity": 8001, "ingest": 8002, "catalog": 8003, "issuance": 8004, "console": 8005}
STAFF_PATHS = (
    "/v1/admin/stats",
    "/v1/admin/key-jobs",
    "/v1/admin/dead-letters",
    "/v1/admin/proxy-requests/x/approve",
    "/v1/clients",
    "/v1/clients/c1",
    "/v1/staff/sessions",
    "/internal/v1/records/r1",
    "/metrics",
)
PUBLIC_EXAMPLES = {  # a public route of each host still routed
    "id.medrec.example": ["/oauth/token", "/v1/me", "/v1/verifications", "/.well-known/jwks.json"],
    "transfer.medrec.example": ["/v1/transfers", "/v1/transfers/t/records:batch", "/openapi.json"],
    "records.medrec.example": ["/v1/institutions", "/v1/me/records"],
    "copies.medrec.example": ["/v1/verify", "/v1/issuances/i/document", "/v1/proxy-requests"],
}
INTERNAL_CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"medrec.io/internal-ingress": "true"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
}
PUBLIC_CONTROLLER = {
    "namespaceSelector": {"matchLabels": {"medrec.io/ingress": "true"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "ingress-nginx"}},
}
OPERATORS = {"namespaceSelector": {"matchLabels": {"medrec.io/operators": "true"}}}
CONSOLE_PODS = {
    "podSelector": {
        "matchLabels": {
            "app.kubernetes.io/name": "medrec-console",
            "app.kubernetes.io/component": "api",
        }
    }
}
Obj = dict[str, Any]


def ingresses(objects: list[Obj]) -> list[Obj]:
    return [o for o in objects if o["kind"] == "Ingress"]


def routed(ingress: Obj, host: str, path: str) -> str | None:
    """The backend an nginx Ingress sends `host` + `path` to (the longest matching path, as
    Kubernetes defines Prefix and Exact), or None."""
    best: tuple[int, str] | None = None
    for rule in ingress["spec"]["rules"]:
        if rule.get("host") not in (host, None):
            continue
        for entry in rule["http"]["paths"]:
            route, kind = entry["path"], entry["pathType"]
            if kind == "Exact":
                matches = path == route
            else:
                prefix = route.rstrip("/")
                matches = route == "/" or path == prefix or path.startswith(prefix + "/")
            if matches and (best is None or len(route) > best[0]):
                best = (len(route), entry["backend"]["service"]["name"])
    return best[1] if best else None


def named(objects: list[Obj], kind: str, name: str) -> Obj:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def peers_on(policy: Obj, port: int) -> list[Obj]:
    return [
        peer
        for rule in policy["spec"]["ingress"]
        if any(p["port"] == port for p in rule["ports"])
        for peer in rule["from"]
    ]


@pytest.fixture(scope="module")
def prod(rendered: dict[str, list[Obj]]) -> list[Obj]:
    return rendered["overlays/prod"]


def test_no_public_ingress_rule_reaches_a_staff_path(prod: list[Obj]) -> None:
    public = [i for i in ingresses(prod) if i["spec"]["ingressClassName"] == "nginx"]
    assert len(public) == 5
    for ingress in public:
        (rule,) = ingress["spec"]["rules"]
        host = rule["host"]
        backends = {p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
        if backends == {"medrec-portal"}:
            continue  # the citizens' portal: a front door, every path of it public
        for path in STAFF_PATHS:
            assert routed(ingress, host, path) is None, (host, path)
        for path in PUBLIC_EXAMPLES[host]:
            assert routed(ingress, host, path) is not None, (host, path)


def test_the_console_is_on_the_internal_ingress_only(prod: list[Obj]) -> None:
    serving = [
        (i["metadata"]["name"], i["spec"]["ingressClassName"], r["host"])
        for i in ingresses(prod)
        for r in i["spec"]["rules"]
        if any(p["backend"]["service"]["name"] == "medrec-console" for p in r["http"]["paths"])
    ]
    assert serving == [("medrec-console", "internal-nginx", "console.medrec.internal")]
    internal = [i for i in ingresses(prod) if i["spec"]["ingressClassName"] == "internal-nginx"]
    backends = {
        p["backend"]["service"]["name"]
        for i in internal
        for r in i["spec"]["rules"]
        for p in r["http"]["paths"]
    }
    assert backends == {"medrec-console"}  # no API route on the internal host either
    (ingress,) = internal
    assert ingress["spec"]["tls"] == [
        {"hosts": ["console.medrec.internal"], "secretName": "medrec-internal-tls"}
    ]


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_the_console_port_lets_in_the_internal_controller_alone(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    policy = named(rendered[overlay], "NetworkPolicy", "medrec-console-api")
    assert peers_on(policy, PORTS["console"]) == [INTERNAL_CONTROLLER]
    assert PUBLIC_CONTROLLER not in peers_on(policy, PORTS["console"])


@pytest.mark.parametrize("overlay", ["overlays/dev", "overlays/prod"])
def test_the_api_ports_let_in_the_console_and_the_operators_and_nothing_else_new(
    rendered: dict[str, list[Obj]], overlay: str
) -> None:
    """Compared with the peers of before #27 (the public controller, the medrec pods of the
    flows table): the console's pods and the operators' namespace are the only new ones."""
    for svc in REPO_SERVICES:
        policy = named(rendered[overlay], "NetworkPolicy", f"medrec-{svc}-api")
        peers = peers_on(policy, PORTS[svc])
        assert CONSOLE_PODS in peers and OPERATORS in peers, svc
        namespaces = [p for p in peers if "namespaceSelector" in p]
        assert namespaces == [PUBLIC_CONTROLLER, OPERATORS], svc  # not the internal controller
        # The operators reach the API port and nothing else (not the metrics port); which
        # medrec pods are let in is the flows table's (test_manifests), the console among them.
        assert OPERATORS not in peers_on(policy, 9100), svc


def _rendered_check(k8s_check: Any, objects: list[Obj]) -> list[str]:
    problems: list[str] = k8s_check.check_consistency(k8s_check.Rendered(objects))
    return problems


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (  # the old blanket /v1 on a public host
            lambda objs: named(objs, "Ingress", "medrec-records")["spec"]["rules"][0]["http"][
                "paths"
            ][0].update(path="/v1"),
            "Ingress medrec-records: /v1 on a public host reaches /v1/admin/",
        ),
        (
            lambda objs: named(objs, "Ingress", "medrec-id")["spec"]["rules"][0]["http"]["paths"][
                0
            ].update(path="/v1/clients"),
            "Ingress medrec-id: /v1/clients on a public host reaches /v1/clients",
        ),
        (
            lambda objs: named(objs, "Ingress", "medrec-console")["spec"].update(
                ingressClassName="nginx"
            ),
            "Ingress medrec-console: the console on class nginx, not internal-nginx",
        ),
        (  # the public controller let into the console
            lambda objs: named(objs, "NetworkPolicy", "medrec-console-api")["spec"]["ingress"][0][
                "from"
            ].append(copy.deepcopy(PUBLIC_CONTROLLER)),
            "medrec-console-api: the public ingress controller may reach port 8005",
        ),
        (  # the operators' namespace on the metrics port
            lambda objs: named(objs, "NetworkPolicy", "medrec-ingest-api")["spec"]["ingress"][
                2
            ].pop("ports"),
            "medrec-ingest-api: the operators' namespace may reach port 9100",
        ),
    ],
)
def test_k8s_check_catches_admin_routes_on_public_hosts(
    k8s_check: Any, prod: list[Obj], mutate: Any, expected: str
) -> None:
    objects = copy.deepcopy(prod)
    assert _rendered_check(k8s_check, objects) == []
    mutate(objects)
    problems = _rendered_check(k8s_check, objects)
    assert any(expected in p for p in problems), problems
