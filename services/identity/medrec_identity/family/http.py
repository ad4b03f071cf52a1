"""The HTTP family registry connector (`MEDREC_IDENTITY_FAMILY_REGISTRY=http`).

identity asks a registry service, at `MEDREC_IDENTITY_FAMILY_REGISTRY_URL`, for the children of a
verified person (docs/family-registry.md has the same contract for the registry's implementers):

Request::

    POST {FAMILY_REGISTRY_URL}
    Authorization: Bearer {FAMILY_REGISTRY_TOKEN}
    Content-Type: application/json
    Accept: application/json
    X-Correlation-ID: <the request's correlation id>

    {"parent_rrn": "YYMMDD-GNNNNNN", "as_of": "YYYY-MM-DD"}

`as_of` is the day of the request in Asia/Seoul. The RRN goes in the body (never in a URL, which
proxies log); use an https URL outside the local stack (enforced by the settings).

Response ``200 application/json``::

    {"children": [
        {"rrn": "YYMMDD-GNNNNNN", "name": "...", "birth_date": "YYYY-MM-DD",
         "relation": "parent" | "guardian" | <other>, "parental_authority": true | false}
    ]}

- `relation`: `parent` (the person is the child's parent), `guardian` (court-appointed guardian,
  후견인). Any other value (e.g. `grandparent`) is listed but never gives online access.
- `parental_authority`: whether the parent holds parental authority (친권); ignored for guardians.
- ``404``: the registry does not know the person: no children.
- Any other status, a timeout (`FAMILY_REGISTRY_TIMEOUT_SECONDS`), or a body that is not this
  shape: identity answers ``503 family-registry-unavailable`` and grants nothing.
- An entry with an invalid `rrn` or `birth_date` is left out (and counted in a log line that holds
  no personal data); the other entries still count.
"""

from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from medrec_identity.family.port import FamilyEntry, FamilyRegistryUnavailable, RegistryQuery
from medrec_identity.outside import post_json
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules.guardianship import Relation
from medrec_shared.rules.rrn import InvalidRRN, parse_rrn

log = get_logger(__name__)
_RELATIONS: dict[str, Relation] = {"parent": "parent", "guardian": "guardian"}


class _Entry(BaseModel):
    rrn: str
    name: str
    birth_date: date
    relation: str
    parental_authority: bool = False


class _Answer(BaseModel):
    children: list[dict[str, Any]]


class HttpFamilyRegistry:
    def __init__(self, url: str, token: str, http: httpx.AsyncClient) -> None:
        self.url = url
        self.token = token
        self.http = http

    async def children_of(self, parent: RegistryQuery, as_of: date) -> list[FamilyEntry]:
        try:
            query = {"parent_rrn": parent.rrn, "as_of": as_of.isoformat()}
            response = await post_json(self.http, self.url, self.token, query)
        except httpx.HTTPError as exc:
            log.warning("family_registry_unreachable", error_type=type(exc).__name__)
            raise FamilyRegistryUnavailable("The family registry did not answer.") from exc
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            log.warning("family_registry_refused", status=response.status_code)
            raise FamilyRegistryUnavailable("The family registry did not answer.")
        try:
            answer = _Answer.model_validate_json(response.content)
        except ValidationError as exc:
            log.warning("family_registry_malformed_answer")
            raise FamilyRegistryUnavailable("The family registry answered nonsense.") from exc
        entries, skipped = [], 0
        for raw in answer.children:
            entry = _entry(raw)
            if entry is None:
                skipped += 1
            else:
                entries.append(entry)
        if skipped:
            log.warning("family_registry_entries_skipped", count=skipped)
        return entries


def _entry(raw: dict[str, Any]) -> FamilyEntry | None:
    try:
        entry = _Entry.model_validate(raw)
        rrn = parse_rrn(entry.rrn)[0]
    except (ValidationError, InvalidRRN):
        return None
    if not entry.name.strip():
        return None
    return FamilyEntry(
        rrn=rrn,
        name=entry.name.strip(),
        birth_date=entry.birth_date,
        relation=_RELATIONS.get(entry.relation),
        parental_authority=entry.parental_authority,
    )
