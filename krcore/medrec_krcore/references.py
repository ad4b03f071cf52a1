"""References resolve inside the bundle: `urn:uuid:…` (or any absolute URL) to an entry's
fullUrl, `Type/id` to an entry of that type and id (or whose fullUrl ends so), `#id` to a
resource contained in the same resource. A subject names the Patient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from medrec_krcore.problems import Found

_RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/[A-Za-z0-9\-.]+)?$")
#: resources whose `subject` is the patient in their KR Core profile
SUBJECT_IS_PATIENT = frozenset(
    {"Encounter", "Condition", "MedicationRequest", "Procedure", "Observation", "DiagnosticReport"}
)


class Targets:
    """The bundle's entries by fullUrl and by `Type/id`, each giving the resourceType."""

    def __init__(self) -> None:
        self.by_url: dict[str, str] = {}
        self.by_relative: dict[str, str] = {}

    def add(self, full_url: Any, resource: dict[str, Any]) -> None:
        kind, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(full_url, str) and full_url:
            self.by_url[full_url] = str(kind)
            match = re.search(r"([A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})$", full_url)
            if match and not full_url.startswith("urn:"):
                self.by_relative.setdefault(match.group(1), str(kind))
        if isinstance(kind, str) and isinstance(rid, str) and rid:
            self.by_relative.setdefault(f"{kind}/{rid}", kind)

    def resolve(self, reference: str) -> str | None:
        """The resourceType the reference points to, or None when nothing in the bundle is it."""
        if reference in self.by_url:
            return self.by_url[reference]
        match = _RELATIVE.match(reference)
        if match:
            return self.by_relative.get(f"{match.group(1)}/{match.group(2)}")
        return None


def check_references(found: Found, targets: Targets, resource: dict[str, Any], path: str) -> None:
    contained = {
        f"#{item.get('id')}"
        for item in resource.get("contained") or []
        if isinstance(item, dict) and item.get("id")
    }
    for ref_path, reference in _references(resource, path):
        if reference.startswith("#"):
            if reference != "#" and reference not in contained:
                found.add(ref_path, "does not resolve to a contained resource")
            continue
        kind = targets.resolve(reference)
        if kind is None:
            found.add(ref_path, "does not resolve to an entry of the bundle")
        elif (
            ref_path == f"{path}.subject.reference"
            and resource.get("resourceType") in SUBJECT_IS_PATIENT
            and kind != "Patient"
        ):
            found.add(ref_path, "must reference the bundle's Patient (KR Core: subject)")


def _references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every `Reference.reference` under `value`, with its FHIRPath. Contained resources are
    walked too (their local references resolve against the container)."""
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            yield f"{path}.reference", reference
        for key, item in value.items():
            if key != "reference":
                yield from _references(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _references(item, f"{path}[{index}]")
