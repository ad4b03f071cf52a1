"""What a check finds: a `Problem` at a FHIRPath, and the record's patient a bundle must match.

A message states the rule, never the value it found: the value may be a name, an RRN or
clinical content, and messages end up in API answers and the kit's reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Problem:
    #: a FHIRPath from the Bundle: `Bundle.entry[2].resource.code.coding[0].system`
    path: str
    message: str


@dataclass(frozen=True)
class PatientClaim:
    """The record's patient fields (as the transfer API takes them); `None` is not stated."""

    rrn: str | None
    name: str | None
    birth_date: date | None
    sex: str | None  # male | female | unknown


@dataclass
class Found:
    """The problems found so far, and the helpers that state a rule once."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def require(self, resource: dict[str, Any], path: str, key: str, profile: str) -> Any:
        """`resource[key]`, or a problem at `path.key` when it is absent or empty."""
        value = resource.get(key)
        if not present(value):
            self.add(f"{path}.{key}", f"is required by {profile}")
            return None
        return value

    def require_one_of(
        self, resource: dict[str, Any], path: str, choice: str, types: tuple[str, ...], profile: str
    ) -> None:
        """A choice element `choice[x]` (`performedDateTime`, `performedPeriod`, …)."""
        if not any(present(resource.get(choice + t)) for t in types):
            self.add(f"{path}.{choice}[x]", f"is required by {profile}")

    def codings(self, concept: Any, path: str, profile: str) -> list[tuple[str, dict[str, Any]]]:
        """A CodeableConcept's codings, each with a system and a code (problems otherwise);
        returned with their paths."""
        if not isinstance(concept, dict):
            self.add(path, "must be a CodeableConcept")
            return []
        codings = list(objects(concept.get("coding"), f"{path}.coding"))
        if not codings:
            self.add(f"{path}.coding", f"is required by {profile}")
        for coding_path, coding in codings:
            self.require(coding, coding_path, "system", profile)
            self.require(coding, coding_path, "code", profile)
        return codings


def present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def objects(value: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The objects of a repeating element with their paths (`path[0]`, …); a lone object as
    `path[0]` too (a client that forgot the list)."""
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{path}[{index}]", item


def has_coding(concepts: Any, system: str, code: str | None = None) -> bool:
    """Whether any CodeableConcept in `concepts` (one or a list) holds a coding of `system`
    (and `code`)."""
    for _, concept in objects(concepts, ""):
        for _, coding in objects(concept.get("coding"), ""):
            if coding.get("system") == system and (code is None or coding.get("code") == code):
                return True
    return False
