"""deploy/observability is what its generator writes (the PrometheusRule is the rule file, the
dashboards are current), every PromQL expression of the rules and the dashboards parses
(promtool) and names only metrics the services serve (the table below, from the #31 contract,
and Prometheus' own `up`), the kustomization renders into objects valid against the Kubernetes
and Prometheus Operator schemas, and its PodMonitors select the metrics port of every api and
worker Deployment of the prod overlay."""

import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.support.prometheus import promtool

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
Obj = dict[str, Any]
SERVICES = ("identity", "ingest", "catalog", "issuance")

# Every metric the services serve (docs/operations.md, "Metrics: what each answers"), with its
# type: a histogram is queried through its _bucket, _sum and _count series.
METRICS = {
    "medrec_http_requests_total": "counter",
    "medrec_http_request_seconds": "histogram",
    "medrec_outbox_unsent_events": "gauge",
    "medrec_outbox_oldest_unsent_age_seconds": "gauge",
    "medrec_consumer_lag": "gauge",
    "medrec_dead_letters_parked": "gauge",
    "medrec_events_dead_lettered_total": "counter",
    "medrec_events_handled_total": "counter",
    "medrec_events_published_total": "counter",
    "medrec_copies_waiting": "gauge",
    "medrec_copy_render_seconds": "histogram",
    "medrec_rate_limit_refusals_total": "counter",
    "medrec_db_pool_connections": "gauge",
    "medrec_db_pool_size": "gauge",
    "medrec_object_store_errors_total": "counter",
    "medrec_dependency_up": "gauge",
    "medrec_issuer_certificate_expiry_timestamp_seconds": "gauge",
    "medrec_worker_heartbeat_timestamp_seconds": "gauge",
    "up": "gauge",
}


def known_series() -> set[str]:
    out: set[str] = set()
    for name, kind in METRICS.items():
        if kind == "histogram":
            out |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        else:
            out.add(name)
    return out


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: identifiers outside quotes, braces and `by (...)`
    lists that are not followed by `(` (functions) nor PromQL keywords."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    keywords = {"and", "or", "unless", "bool", "offset"}
    return {
        m.group(1)
        for m in re.finditer(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()", text)
        if m.group(1) not in keywords
    }


def rule_exprs() -> dict[str, str]:
    groups = yaml.safe_load((OBSERVABILITY / "rules" / "medrec.rules.yaml").read_text())["groups"]
    return {r["alert"]: r["expr"] for g in groups for r in g["rules"]}


def dashboard_exprs() -> dict[str, str]:
    out: dict[str, str] = {}
    for path in sorted((OBSERVABILITY / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                out[f"{path.stem}: {panel['title']}"] = target["expr"]
    return out


def test_the_files_are_what_the_generator_writes(generate: ModuleType) -> None:
    stale = [
        str(path.relative_to(REPO))
        for path, text in generate.expected_files().items()
        if not path.exists() or path.read_text() != text
    ]
    assert stale == [], "run .venv/bin/python deploy/observability/generate.py"
    written = {p.name for p in (OBSERVABILITY / "dashboards").glob("*.json")}
    assert written == set(generate.dashboards()), "a dashboard file the generator does not write"


def test_the_prometheus_rule_holds_exactly_the_rule_file() -> None:
    rule = yaml.safe_load((OBSERVABILITY / "prometheusrule.yaml").read_text())
    assert (rule["apiVersion"], rule["kind"]) == ("monitoring.coreos.com/v1", "PrometheusRule")
    assert rule["spec"] == yaml.safe_load((OBSERVABILITY / "rules/medrec.rules.yaml").read_text())


def test_there_is_a_dashboard_for_the_whole_service_and_each_service() -> None:
    titles = {
        json.loads(p.read_text())["title"] for p in (OBSERVABILITY / "dashboards").glob("*.json")
    }
    assert titles == {
        "medrec / overview",
        "medrec / identity",
        "medrec / ingest",
        "medrec / catalog",
        "medrec / issuance",
        "medrec / portal and console",
    }


def test_the_metric_name_extraction_finds_what_it_must() -> None:
    expr = (
        "histogram_quantile(0.95, sum by (le, route) (rate(medrec_http_request_seconds_bucket"
        '{job="medrec-ingest-api", status=~"5.."}[5m]))) / on (job) up or medrec_nope_total'
    )
    assert metric_names(expr) == {"medrec_http_request_seconds_bucket", "up", "medrec_nope_total"}


@pytest.mark.parametrize("source", ["rules", "dashboards"])
def test_every_expression_names_only_metrics_that_exist(source: str) -> None:
    exprs = rule_exprs() if source == "rules" else dashboard_exprs()
    assert exprs
    unknown = {
        where: sorted(names - known_series())
        for where, expr in exprs.items()
        if (names := metric_names(expr)) - known_series() or not names
    }
    assert unknown == {}


def test_every_dashboard_expression_parses(tmp_path: Path) -> None:
    """promtool checks PromQL in rule files only: each panel's query as a recording rule."""
    rules = [
        {"record": f"medrec:dashboard_query_{i}", "expr": expr}
        for i, expr in enumerate(dashboard_exprs().values())
    ]
    path = tmp_path / "dashboards.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    checked = promtool("check", "rules", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.fixture(scope="module")
def crds(k8s_check: ModuleType) -> Any:
    loaded = k8s_check.CrdSchemas.load(k8s_check.crds_folder())
    if loaded is None:
        pytest.skip(f"CRD folder {k8s_check.crds_folder()} absent: custom resources not validated")
    return loaded


@pytest.fixture(scope="module")
def rendered(k8s_check: ModuleType) -> list[Obj]:
    objects: list[Obj] = k8s_check.render(OBSERVABILITY)
    return objects


def test_the_kustomization_renders_valid_objects(
    k8s_check: ModuleType, rendered: list[Obj], crds: Any
) -> None:
    kinds = sorted(o["kind"] for o in rendered)
    assert kinds == ["ConfigMap"] * 6 + ["PodMonitor"] * 2 + ["PrometheusRule"]
    assert {o["metadata"]["namespace"] for o in rendered} == {"medrec"}
    for obj in rendered:
        if obj["kind"] == "ConfigMap":
            assert k8s_check.validate_builtin(obj, "1.37") == [], obj["metadata"]["name"]
        else:
            assert crds.knows(obj), obj["kind"]
            assert crds.validate(obj) == [], obj["metadata"]["name"]


def test_the_crd_schemas_catch_a_wrong_monitor(rendered: list[Obj], crds: Any) -> None:
    monitor = next(o for o in rendered if o["kind"] == "PodMonitor")
    broken = json.loads(json.dumps(monitor))
    broken["spec"]["podMetricsEndpoints"][0]["relabelings"][0]["action"] = "rename"
    broken["spec"]["podMetricEndpoints"] = []
    errors = crds.validate(broken)
    assert any("rename" in e for e in errors), errors
    assert any("podMetricEndpoints" in e for e in errors), errors


def test_every_dashboard_is_a_configmap_for_grafanas_sidecar(rendered: list[Obj]) -> None:
    maps = [o for o in rendered if o["kind"] == "ConfigMap"]
    files = {p.name: p.read_text() for p in (OBSERVABILITY / "dashboards").glob("*.json")}
    seen: dict[str, str] = {}
    for cm in maps:
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        seen.update(cm["data"])
    assert seen == files


def test_every_api_and_worker_metrics_port_is_scraped(
    k8s_check: ModuleType, rendered: list[Obj]
) -> None:
    monitors = [o for o in rendered if o["kind"] == "PodMonitor"]
    prod = k8s_check.render(REPO / "deploy" / "k8s" / "overlays" / "prod")
    deployments = [o for o in prod if o["kind"] == "Deployment"]
    scraped = []
    for deployment in deployments:
        template = deployment["spec"]["template"]
        ports = {p["name"] for c in template["spec"]["containers"] for p in c.get("ports", [])}
        if "metrics" not in ports:
            continue
        labels = template["metadata"]["labels"]
        selecting = [m for m in monitors if k8s_check.labels_match(m["spec"]["selector"], labels)]
        assert len(selecting) == 1, deployment["metadata"]["name"]
        endpoint_ports = {e["port"] for e in selecting[0]["spec"]["podMetricsEndpoints"]}
        assert endpoint_ports == {"metrics"}
        # The job the rules and dashboards use: <app.kubernetes.io/name>-<component>.
        job = f"{labels['app.kubernetes.io/name']}-{labels['app.kubernetes.io/component']}"
        assert job == deployment["metadata"]["name"]
        scraped.append(job)
    assert sorted(scraped) == sorted(
        [f"medrec-{s}-api" for s in (*SERVICES, "portal", "console")]
        + [f"medrec-{s}-worker" for s in SERVICES]
    )
