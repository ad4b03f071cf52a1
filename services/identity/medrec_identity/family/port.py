"""The family registry port: where parent-child and guardian links come from.

Adapters: `sandbox` (links seeded through `POST /v1/sandbox/family-links`, local stack only) and
`http` (a configurable HTTP registry; the contract is in `http.py` and docs/family-registry.md)."""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from medrec_shared.platform.problems import ServiceUnavailable
from medrec_shared.rules.guardianship import Relation


@dataclass(frozen=True)
class RegistryQuery:
    """The person whose children are asked for. Never logged."""

    person_key: str
    rrn: str  # normalised YYMMDD-GNNNNNN


@dataclass(frozen=True)
class FamilyEntry:
    """One child of the person as the registry reports it. `relation` is None for a relation that
    gives no online access (the registry may list e.g. grandchildren); never logged."""

    rrn: str  # normalised YYMMDD-GNNNNNN
    name: str
    birth_date: date
    relation: Relation | None
    parental_authority: bool


class FamilyRegistryUnavailable(ServiceUnavailable):
    type, title = "family-registry-unavailable", "The family registry is unavailable"


class FamilyRegistry(Protocol):
    async def children_of(self, parent: RegistryQuery, as_of: date) -> list[FamilyEntry]:
        """The children of `parent` on `as_of` (a day in Seoul); [] when the registry does not
        know the person. Raises FamilyRegistryUnavailable when it cannot answer."""
        ...
