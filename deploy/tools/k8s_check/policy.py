"""The policy scanner of `make k8s-check`: checkov's Kubernetes checks that matter for medrec,
re-implemented over the rendered objects (checkov itself pulls ~50 packages and downgrades
boto3, pytest, packaging and networkx in the shared lock; `make k8s-checkov` runs the real
checkov in an isolated tool environment for comparison).

Each rule has a checkov id where one exists and a severity. A finding fails the check unless an
entry of deploy/k8s/policy-exceptions.yaml explains it; an entry that explains nothing fails
too, so the list stays true.
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

from .selector import labels_match

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
        Rule("MR01", "CKV_K8S_16", HIGH, "container is privileged"),
        Rule("MR02", "CKV_K8S_20", HIGH, "allowPrivilegeEscalation is not false"),
        Rule("MR03", "CKV_K8S_23", HIGH, "may run as root (runAsNonRoot not true, or UID 0)"),
        Rule("MR04", "CKV_K8S_17/18/19", HIGH, "shares a host namespace (PID, IPC, network)"),
        Rule("MR05", "CKV_K8S_37/28/39", HIGH, "capabilities: ALL not dropped, or some added"),
        Rule("MR06", "CKV_K8S_27", HIGH, "mounts a hostPath volume"),
        Rule("MR07", "CKV_SECRET_*", HIGH, "a secret written in the repository"),
        Rule("MR08", "CKV_K8S_14", HIGH, "image without a fixed tag (none, or latest)"),
        Rule("MR09", "CKV_K8S_22", MEDIUM, "root filesystem is writable"),
        Rule("MR10", "CKV_K8S_31", MEDIUM, "no seccomp profile (RuntimeDefault or Localhost)"),
        Rule("MR11", "CKV_K8S_10/11/12/13", MEDIUM, "CPU or memory requests/limits missing"),
        Rule("MR12", "CKV_K8S_8", MEDIUM, "no liveness probe"),
        Rule("MR13", "CKV_K8S_9", MEDIUM, "no readiness probe"),
        Rule("MR14", "CKV_K8S_38", MEDIUM, "service account token mounted"),
        Rule("MR15", "CKV2_K8S_6", MEDIUM, "pod not covered by Ingress and Egress policies"),
        Rule("MR16", "CKV_K8S_21", MEDIUM, "object in the default namespace, or none"),
        Rule("MR17", "CKV_K8S_40", LOW, "runs with a UID below 10000"),
        Rule("MR18", "CKV_K8S_35", LOW, "secrets passed as environment variables"),
        Rule("MR19", "CKV_K8S_43", LOW, "image not pinned by digest"),
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


def _pod_labels(obj: Obj) -> dict[str, str]:
    if obj.get("kind") == "Pod":
        return obj.get("metadata", {}).get("labels", {})
    return obj.get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {})


def _check_workload(obj: Obj, policies: list[Obj]) -> Iterator[tuple[str, str, str]]:
    """(rule id, container, detail) for each finding in one workload."""
    pod = _pod_spec(obj) or {}
    pod_sc = pod.get("securityContext", {})
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(flag):
            yield "MR04", "", flag
    if any("hostPath" in v for v in pod.get("volumes", [])):
        yield "MR06", "", ""
    if pod.get("automountServiceAccountToken") is not False:
        yield "MR14", "", ""
    types = {
        t
        for p in policies
        if labels_match(p["spec"].get("podSelector", {}), _pod_labels(obj))
        for t in p["spec"].get("policyTypes", [])
    }
    if types != {"Ingress", "Egress"}:
        yield "MR15", "", f"policy types {sorted(types) or 'none'}"
    long_running = obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
    for c in pod.get("initContainers", []) + pod.get("containers", []):
        name = c.get("name", "")
        sc = c.get("securityContext", {})

        def eff(key: str, sc: Obj = sc) -> Any:
            return sc.get(key, pod_sc.get(key))

        if sc.get("privileged"):
            yield "MR01", name, ""
        if sc.get("allowPrivilegeEscalation") is not False:
            yield "MR02", name, ""
        if eff("runAsNonRoot") is not True or eff("runAsUser") == 0:
            yield "MR03", name, ""
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []) or caps.get("add"):
            yield "MR05", name, f"drop={caps.get('drop')} add={caps.get('add')}"
        if sc.get("readOnlyRootFilesystem") is not True:
            yield "MR09", name, ""
        seccomp = (eff("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            yield "MR10", name, ""
        res = c.get("resources", {})
        missing = [
            f"{k}.{r}"
            for k in ("requests", "limits")
            for r in ("cpu", "memory")
            if r not in res.get(k, {})
        ]
        if missing:
            yield "MR11", name, ", ".join(missing)
        if long_running and "livenessProbe" not in c:
            yield "MR12", name, ""
        if long_running and "readinessProbe" not in c:
            yield "MR13", name, ""
        uid = eff("runAsUser")
        if uid is None or uid < 10000:
            yield "MR17", name, f"runAsUser={uid}"
        image = c.get("image", "")
        tag = image.rsplit("/", 1)[-1].split("@")[0].partition(":")[2]
        if "@sha256:" not in image and tag in ("", "latest"):
            yield "MR08", name, image
        if "@sha256:" not in image:
            yield "MR19", name, image
        if c.get("imagePullPolicy") != "Always":
            yield "MR20", name, str(c.get("imagePullPolicy"))
        secret_envs = [
            e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})
        ]
        secret_envs += [
            "envFrom:" + s["secretRef"]["name"] for s in c.get("envFrom", []) if "secretRef" in s
        ]
        if secret_envs:
            yield "MR18", name, f"{len(secret_envs)} variables"
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
    policies = [o for o in objects if o.get("kind") == "NetworkPolicy"]
    for obj in objects:
        kind = obj.get("kind", "")
        meta = obj.get("metadata", {})
        name = meta.get("name", "")

        def finding(
            rule: str, container: str = "", detail: str = "", kind: str = kind, name: str = name
        ) -> Finding:
            return Finding(RULES[rule], target, kind, name, container, detail)

        if kind != "Namespace" and meta.get("namespace") in (None, "", "default"):
            yield finding("MR16", detail=f"namespace={meta.get('namespace')}")
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
            for rule, container, detail in _check_workload(obj, policies):
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
