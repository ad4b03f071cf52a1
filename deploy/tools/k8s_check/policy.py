"""The policy scan of `make k8s-check`: medrec's own rules, the ones checkov cannot make.

`make k8s-checkov` runs the real checkov (its Kubernetes checks: privilege, root, host
namespaces, capabilities, read-only root filesystems, seccomp, resources, token mounts, tags,
namespaces, network policies, ...) in an isolated tool environment: those checks are not
repeated here. What stays:

- MR06, a hostPath volume of any path (checkov's CKV_K8S_27 covers the Docker socket only);
- MR07, a secret written in the repository: checkov runs the kubernetes framework only, not its
  secrets scanner, and cannot know medrec's setting names (SECRETISH) or that a rendered
  Secret with data means a secret committed to deploy/k8s;
- MR12, MR13, MR20 (checkov's CKV_K8S_8, CKV_K8S_9, CKV_K8S_15): deploy/k8s/checkov.yaml skips
  these for every pod, since checkov's skips cannot name one; here they hold everywhere but
  where deploy/k8s/policy-exceptions.yaml says why not (the workers' probes, dev's pull policy);
- MR21, an Ingress without TLS.

A finding fails the check unless an entry of deploy/k8s/policy-exceptions.yaml explains it; an
entry that explains nothing fails too, so the list stays true.
"""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Obj = dict[str, Any]
HIGH, MEDIUM, LOW = "HIGH", "MEDIUM", "LOW"


@dataclass(frozen=True)
class Rule:
    id: str
    checkov: str
    severity: str
    title: str


RULES = {
    r.id: r
    for r in [
        Rule("MR06", "", HIGH, "mounts a hostPath volume"),
        Rule("MR07", "CKV_SECRET_*", HIGH, "a secret written in the repository"),
        Rule("MR12", "CKV_K8S_8", MEDIUM, "no liveness probe"),
        Rule("MR13", "CKV_K8S_9", MEDIUM, "no readiness probe"),
        Rule("MR20", "CKV_K8S_15", LOW, "imagePullPolicy is not Always"),
        Rule("MR21", "", MEDIUM, "Ingress without TLS"),
    ]
}

WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet")
# Names of settings whose values are secrets: never a literal in a ConfigMap or an env value.
SECRETISH = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|_KEYS?$|CREDENTIAL)", re.I)
# Literal values that look like key material anywhere in a rendered object.
KEY_MATERIAL = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AKIA[0-9A-Z]{16}")


@dataclass(frozen=True)
class Finding:
    rule: Rule
    target: str
    kind: str
    name: str
    container: str = ""
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.kind}/{self.name}" + (f"[{self.container}]" if self.container else "")
        extra = f": {self.detail}" if self.detail else ""
        rule = self.rule
        return f"{rule.severity} {rule.id} ({rule.checkov}) {where} {rule.title}{extra}"


@dataclass
class Exception_:
    rule: str
    reason: str
    kind: str = "*"
    name: str = "*"
    target: str = "*"

    def matches(self, f: Finding) -> bool:
        return (
            self.rule == f.rule.id
            and fnmatch.fnmatch(f.kind, self.kind)
            and fnmatch.fnmatch(f.name, self.name)
            and fnmatch.fnmatch(f.target, self.target)
        )

    def __str__(self) -> str:
        return f"{self.rule} {self.kind}/{self.name} in {self.target}"


def load_exceptions(path: Path) -> list[Exception_]:
    entries = (yaml.safe_load(path.read_text()) or []) if path.exists() else []
    out = []
    for entry in entries:
        if entry.get("rule") not in RULES:
            raise ValueError(f"{path}: unknown rule {entry.get('rule')}")
        if not str(entry.get("reason", "")).strip():
            raise ValueError(f"{path}: exception for {entry['rule']} without a reason")
        out.append(
            Exception_(
                entry["rule"],
                entry["reason"].strip(),
                entry.get("kind", "*"),
                entry.get("name", "*"),
                entry.get("target", "*"),
            )
        )
    return out


@dataclass
class PolicyReport:
    findings: list[Finding] = field(default_factory=list)
    explained: list[tuple[Finding, Exception_]] = field(default_factory=list)

    @property
    def unexplained(self) -> list[Finding]:
        return self.findings

    @property
    def used_exceptions(self) -> list[Exception_]:
        return [e for _, e in self.explained]

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary(self) -> str:
        by_sev = Counter(f.rule.severity for f in self.findings)
        unexplained = ", ".join(f"{n} {s}" for s, n in sorted(by_sev.items())) or "none"
        return (
            f"{len(RULES)} rules; unexplained findings: {unexplained}; "
            f"explained: {len(self.explained)}"
        )

    def lines(self) -> Iterator[str]:
        for f in self.findings:
            yield f"UNEXPLAINED {f}"
        grouped: Counter[tuple[str, str, str]] = Counter(
            (f.rule.severity, f.rule.id, e.reason.split(". ")[0].rstrip("."))
            for f, e in self.explained
        )
        for (severity, rule, reason), n in sorted(grouped.items()):
            yield f"explained {severity} {rule} x{n}: {reason}."


def _pod_spec(obj: Obj) -> Obj | None:
    kind, spec = obj.get("kind"), obj.get("spec", {})
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    return spec.get("template", {}).get("spec")


def _check_workload(obj: Obj) -> Iterator[tuple[str, str, str]]:
    """(rule id, container, detail) for each finding in one workload."""
    pod = _pod_spec(obj) or {}
    if any("hostPath" in v for v in pod.get("volumes", [])):
        yield "MR06", "", ""
    long_running = obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
    for c in pod.get("initContainers", []) + pod.get("containers", []):
        name = c.get("name", "")
        if long_running and "livenessProbe" not in c:
            yield "MR12", name, ""
        if long_running and "readinessProbe" not in c:
            yield "MR13", name, ""
        if c.get("imagePullPolicy") != "Always":
            yield "MR20", name, str(c.get("imagePullPolicy"))
        for e in c.get("env", []):
            if "value" in e and SECRETISH.search(e["name"]) and "$(" not in e["value"]:
                yield "MR07", name, f"env {e['name']} has a literal value"


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
    elif isinstance(node, str):
        yield node


def findings_of(target: str, objects: list[Obj]) -> Iterator[Finding]:
    for obj in objects:
        kind = obj.get("kind", "")
        meta = obj.get("metadata", {})
        name = meta.get("name", "")

        def finding(
            rule: str, container: str = "", detail: str = "", kind: str = kind, name: str = name
        ) -> Finding:
            return Finding(RULES[rule], target, kind, name, container, detail)

        if kind == "Secret" and (obj.get("data") or obj.get("stringData")):
            yield finding("MR07", detail="a Secret with data in the manifests")
        if kind == "ConfigMap":
            for key in obj.get("data", {}):
                if SECRETISH.search(key) and not key.endswith(("_ACTIVE", "_ID")):
                    yield finding("MR07", detail=f"ConfigMap key {key}")
        if any(KEY_MATERIAL.search(s) for s in _strings(obj)):
            yield finding("MR07", detail="key material")
        if kind == "Ingress" and not obj.get("spec", {}).get("tls"):
            yield finding("MR21")
        if kind in WORKLOADS:
            for rule, container, detail in _check_workload(obj):
                yield finding(rule, container, detail)


def scan(target: str, objects: list[Obj], exceptions: list[Exception_]) -> PolicyReport:
    report = PolicyReport()
    for f in findings_of(target, objects):
        why = next((e for e in exceptions if e.matches(f)), None)
        if why is None:
            report.findings.append(f)
        else:
            report.explained.append((f, why))
    return report
