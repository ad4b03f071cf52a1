"""The whole check: render every target, validate its schemas, check its consistency and run
the policy scan, then print one report. A policy exception that explains no finding of any
target is an error (stale), so deploy/k8s/policy-exceptions.yaml stays true."""

from __future__ import annotations

import copy
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import policy
from .consistency import check_consistency
from .objects import K8S, Obj, Rendered
from .render import RenderError, kubectl_version, render_target, targets
from .schemas import (
    CRDS_ENV,
    DEFAULT_K8S_VERSION,
    K8S_VERSION_ENV,
    CrdSchemas,
    SchemaReport,
    crds_folder,
    validate_schemas,
)
from .secret_refs import referenced_secrets


@dataclass
class TargetReport:
    name: str
    objects: list[Obj]
    schemas: SchemaReport
    consistency: list[str]
    policy: policy.PolicyReport


@dataclass
class Report:
    crds: CrdSchemas | None
    crd_folder: Path
    version: str
    targets: list[TargetReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(
            not t.schemas.errors and not t.consistency and t.policy.ok for t in self.targets
        )


def run(crd_folder: Path | None = None, version: str | None = None) -> Report:
    folder = crd_folder or crds_folder()
    version = version or os.environ.get(K8S_VERSION_ENV) or DEFAULT_K8S_VERSION
    crds = CrdSchemas.load(folder)
    report = Report(crds, folder, version)
    exceptions = policy.load_exceptions(K8S / "policy-exceptions.yaml")
    for name, target in targets().items():
        try:
            objects = render_target(target)
        except RenderError as e:
            report.errors.append(str(e))
            continue
        schemas = validate_schemas(copy.deepcopy(objects), crds, version)
        consistency = check_consistency(Rendered(objects))
        scanned = policy.scan(name, objects, exceptions)
        report.targets.append(TargetReport(name, objects, schemas, consistency, scanned))
    used = {id(e) for t in report.targets for e in t.policy.used_exceptions}
    for e in exceptions:
        if id(e) not in used:
            report.errors.append(f"policy exception matches nothing (stale): {e}")
    return report


def print_report(report: Report) -> None:
    out = print
    out(f"k8s-check: kubectl {kubectl_version()}")
    out(f"  Kubernetes schemas: {report.version} (kubernetes-validate, strict)")
    if report.crds is None:
        out(
            f"  CRD schemas: folder {report.crd_folder} is ABSENT: Strimzi, MinIO and "
            f"CloudNativePG resources are NOT validated (set {CRDS_ENV})"
        )
    else:
        out(f"  CRD schemas: {report.crds.files} CRDs from {report.crd_folder}")
    for t in report.targets:
        kinds = Counter(o["kind"] for o in t.objects)
        custom = (
            f"{t.schemas.custom} custom resources valid"
            + (
                f" (their {t.schemas.cel_rules} CEL rules not evaluated)"
                if t.schemas.cel_rules
                else ""
            )
            if report.crds is not None
            else f"{t.schemas.custom_skipped} custom resources NOT validated (no CRDs)"
        )
        status = "ok" if not t.schemas.errors and not t.consistency and t.policy.ok else "FAILED"
        out(f"\n{t.name}: {len(t.objects)} objects, {status}")
        out(f"  kinds: {', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}")
        out(
            f"  schemas: {t.schemas.builtin - len(t.schemas.errors)} of {t.schemas.builtin} "
            f"Kubernetes objects valid; {custom}"
        )
        for e in t.schemas.errors:
            out(f"    SCHEMA {e}")
        out(
            f"  consistency (settings vs engines, references): "
            f"{'ok' if not t.consistency else f'{len(t.consistency)} problems'}"
        )
        for e in t.consistency:
            out(f"    MISMATCH {e}")
        out(f"  policy: {t.policy.summary()}")
        for line in t.policy.lines():
            out(f"    {line}")
    if report.targets:
        out("\nSecrets the cluster must hold (referenced, never in the repository):")
        secrets = referenced_secrets(report.targets[-1].objects)
        for name in sorted(secrets):
            out(f"  {name}: {', '.join(sorted(secrets[name]))}")
    for e in report.errors:
        out(f"ERROR {e}")
    out(f"\nk8s-check: {'OK' if report.ok else 'FAILED'}")
