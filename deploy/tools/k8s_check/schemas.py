"""Schemas: every built-in object against the Kubernetes JSON schemas bundled with
kubernetes-validate (strict: unknown fields are errors, as `kubectl apply` treats them), every
custom resource against the openAPIV3Schema of its CRD as Strimzi, MinIO and CloudNativePG
publish them, read from MEDREC_K8S_CRDS (default: ../shared/k8s-crds beside the repository;
when the folder is absent the check says so and validates the rest). The CRDs' CEL rules are
counted, not evaluated."""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .objects import REPO, Obj, object_id
from .render import YamlLoader

CRDS_ENV = "MEDREC_K8S_CRDS"
DEFAULT_CRDS = REPO.parent / "shared" / "k8s-crds"
K8S_VERSION_ENV = "MEDREC_K8S_VERSION"
DEFAULT_K8S_VERSION = "1.37"
# The API groups whose CRDs the check expects in the CRD folder.
CRD_GROUPS = ("kafka.strimzi.io", "minio.min.io", "postgresql.cnpg.io", "keda.sh")


def crds_folder(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get(CRDS_ENV) or DEFAULT_CRDS)


def _structural_to_jsonschema(schema: Any, counter: Counter[str]) -> Any:
    """A CRD's structural OpenAPI v3 schema as JSON Schema (draft 4), the way the API server
    reads it: `nullable`, int-or-string, and unknown fields rejected unless preserved."""
    if isinstance(schema, list):
        return [_structural_to_jsonschema(s, counter) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _structural_to_jsonschema(v, counter) for k, v in schema.items()}
    if "x-kubernetes-validations" in out:
        counter["cel"] += len(out.pop("x-kubernetes-validations"))
    if out.pop("x-kubernetes-int-or-string", False):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.pop("nullable", False) and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    preserve = out.pop("x-kubernetes-preserve-unknown-fields", False)
    out.pop("x-kubernetes-embedded-resource", None)
    if (
        out.get("type") == "object"
        and "properties" in out
        and "additionalProperties" not in out
        and not preserve
    ):
        out["additionalProperties"] = False
    return out


@dataclass
class CrdSchemas:
    folder: Path
    validators: dict[tuple[str, str], jsonschema.Draft4Validator] = field(default_factory=dict)
    cel_rules: dict[tuple[str, str], int] = field(default_factory=dict)
    files: int = 0

    @classmethod
    def load(cls, folder: Path) -> CrdSchemas | None:
        if not folder.is_dir():
            return None
        crds = cls(folder)
        for path in sorted(folder.glob("*.y*ml")):
            for doc in yaml.load_all(path.read_text(), Loader=YamlLoader):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                crds.files += 1
                group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]
                for version in doc["spec"]["versions"]:
                    if not version.get("served", True):
                        continue
                    counter: Counter[str] = Counter()
                    schema = _structural_to_jsonschema(
                        version["schema"]["openAPIV3Schema"], counter
                    )
                    schema.setdefault("properties", {})
                    schema["properties"].setdefault("apiVersion", {"type": "string"})
                    schema["properties"].setdefault("kind", {"type": "string"})
                    schema["properties"]["metadata"] = {"type": "object"}
                    key = (f"{group}/{version['name']}", kind)
                    crds.validators[key] = jsonschema.Draft4Validator(schema)
                    crds.cel_rules[key] = counter["cel"]
        return crds

    def knows(self, obj: Obj) -> bool:
        return (obj.get("apiVersion"), obj.get("kind")) in self.validators

    def validate(self, obj: Obj) -> list[str]:
        validator = self.validators[(obj["apiVersion"], obj["kind"])]
        return [
            f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
        ]


def is_custom(obj: Obj) -> bool:
    group = str(obj.get("apiVersion", "")).split("/")[0]
    return group in CRD_GROUPS


@functools.cache
def _k8s_schemas(version: str) -> tuple[str, Any]:
    """kubernetes-validate's strict schema folder for `version` and a registry holding its
    shared definitions, loaded once (kubernetes_validate.validate reloads 1.8 MB per object)."""
    from kubernetes_validate import utils
    from packaging.version import Version
    from referencing import Registry, Resource

    wanted = Version(utils.major_minor(version))
    available = [v for v in utils.all_versions() if Version(utils.major_minor(v)) <= wanted]
    if not available:
        raise SystemExit(f"k8s-check: kubernetes-validate has no schemas for {version}")
    folder = f"kubernetes-json-schema/v{available[-1]}-local-strict"
    definitions = utils.schema_contents(f"{folder}/_definitions.json", version)
    return folder, Resource.from_contents(definitions) @ Registry()


@functools.cache
def _builtin_validator(api_version: str, kind: str, version: str) -> Any:
    from kubernetes_validate import utils
    from referencing import Resource

    folder, registry = _k8s_schemas(version)
    # As kubernetes-validate names its files: rbac.authorization.k8s.io/v1 -> rbac-v1
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(f"{folder}/{kind.lower()}-{api}.json", version)
    except FileNotFoundError:
        return None
    return jsonschema.Draft202012Validator(
        schema, registry=Resource.from_contents(schema) @ registry
    )


def validate_builtin(obj: Obj, version: str) -> list[str]:
    """Errors of a built-in object against the Kubernetes `version` schemas (strict)."""
    validator = _builtin_validator(str(obj.get("apiVersion")), str(obj.get("kind")), version)
    if validator is None:
        return [f"no Kubernetes {version} schema for {obj.get('apiVersion')} {obj.get('kind')}"]
    return [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    ]


@dataclass
class SchemaReport:
    builtin: int = 0
    custom: int = 0
    custom_skipped: int = 0
    cel_rules: int = 0
    errors: list[str] = field(default_factory=list)


def validate_schemas(objects: list[Obj], crds: CrdSchemas | None, version: str) -> SchemaReport:
    report = SchemaReport()
    for obj in objects:
        if is_custom(obj):
            if crds is None:
                report.custom_skipped += 1
                continue
            if not crds.knows(obj):
                report.errors.append(
                    f"{object_id(obj)}: no CRD for {obj.get('apiVersion')} {obj.get('kind')}"
                    f" in {crds.folder}"
                )
                continue
            report.custom += 1
            report.cel_rules += crds.cel_rules[(obj["apiVersion"], obj["kind"])]
            report.errors += [f"{object_id(obj)}: {e}" for e in crds.validate(obj)]
        else:
            report.builtin += 1
            report.errors += [f"{object_id(obj)}: {e}" for e in validate_builtin(obj, version)]
    return report
