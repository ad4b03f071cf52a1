"""The alerting rules of deploy/observability pass promtool: `promtool check rules` on the rule
file and on the PrometheusRule's groups, and `promtool test rules` on every unit test file
(deploy/observability/tests/*.yaml), which fire and clear every alert. Each alert has a severity,
a summary, a description and a runbook section of docs/operations.md. promtool is Debian's
(tests/support/prometheus.py installs the package when it is missing)."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.prometheus import promtool

REPO = Path(__file__).resolve().parents[2]
OBSERVABILITY = REPO / "deploy" / "observability"
RULES = OBSERVABILITY / "rules" / "medrec.rules.yaml"
UNIT_TESTS = sorted((OBSERVABILITY / "tests").glob("*.yaml"))
GUIDE = REPO / "docs" / "operations.md"
RUNBOOK_BASE = "https://medrec.example/docs/operations.md#"


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def test_the_rule_file_passes_promtool_check() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in checked.stdout


def test_the_prometheus_rule_passes_promtool_check(tmp_path: Path) -> None:
    rule = yaml.safe_load((OBSERVABILITY / "prometheusrule.yaml").read_text())
    plain = tmp_path / "from-prometheusrule.yaml"
    plain.write_text(yaml.safe_dump(rule["spec"]))
    checked = promtool("check", "rules", str(plain))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_unit_test_of_the_rules_passes() -> None:
    assert UNIT_TESTS, "no promtool unit tests in deploy/observability/tests"
    tested = promtool("test", "rules", *[p.name for p in UNIT_TESTS], cwd=UNIT_TESTS[0].parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert tested.stdout.count("SUCCESS") == len(UNIT_TESTS), tested.stdout


def test_every_alert_is_tested_firing_and_not_firing() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in UNIT_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {a["alert"] for a in alerts()}
    assert names - firing == set(), "never seen firing"
    assert names - silent == set(), "never seen not firing"
    assert (firing | silent) - names == set(), "tests of alerts that do not exist"


@pytest.mark.parametrize("alert", alerts(), ids=lambda a: a["alert"])
def test_every_alert_says_how_bad_what_and_where_to_look(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in ("warning", "critical")
    annotations = alert["annotations"]
    assert annotations["summary"].strip()
    assert "Look first at" in annotations["description"]
    url = annotations["runbook_url"]
    assert url == RUNBOOK_BASE + alert["alert"].lower()
    headings = re.findall(r"^#{2,4} (.+)$", GUIDE.read_text(), re.M)
    assert alert["alert"] in headings, f"docs/operations.md has no section {alert['alert']}"
