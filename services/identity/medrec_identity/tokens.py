"""The tokens identity mints for people: a citizen's own, and a guardian's to act for a child.

Citizen token claims: `sub` (person_id), `person_key`, `scope`. Guardian token claims: `sub` and
`person_key` of the child, `act` = {`sub`, `person_key`} of the guardian (RFC 8693), `scope`, and
the claims `medrec_shared.rules.guardianship.guardian_claims` defines for the re-check at each
use."""

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.models import Person
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.service import sign_with_active_key
from medrec_shared.platform.crypto import Keyring
from medrec_shared.rules.guardianship import Relation, decide, guardian_claims, next_midnight

CITIZEN_SCOPES = "records:read issuance:write"
GUARDIAN_SCOPES = "records:read issuance:write"


@dataclass(frozen=True)
class Minted:
    access_token: str
    expires_in: int
    scope: str


async def _sign(
    session: AsyncSession,
    keyring: Keyring,
    settings: IdentitySettings,
    claims: dict[str, Any],
    ttl: int,
) -> str:
    return await sign_with_active_key(
        session,
        keyring=keyring,
        claims=claims,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=ttl,
    )


async def citizen_token(
    session: AsyncSession, keyring: Keyring, settings: IdentitySettings, person: Person
) -> Minted:
    ttl = settings.citizen_token_ttl_seconds
    claims = {
        "sub": str(person.person_id),
        "person_key": person.person_key,
        "scope": CITIZEN_SCOPES,
    }
    return Minted(await _sign(session, keyring, settings, claims, ttl), ttl, CITIZEN_SCOPES)


@dataclass(frozen=True)
class Guardianship:
    guardian: Person
    child: Person
    relation: Relation
    parental_authority: bool
    child_birth_date: date


def guardian_ttl(link: Guardianship, now: datetime, ttl: int) -> int:
    """The configured TTL, cut at the next midnight in Seoul when the rule refuses from then on
    (the child's birthday reaches the limit). Catalog and issuance re-check at each use anyway."""
    midnight = next_midnight(now)
    tomorrow = decide(link.relation, link.parental_authority, link.child_birth_date, midnight)
    if tomorrow.allowed:
        return ttl
    return max(1, min(ttl, math.ceil((midnight - now).total_seconds())))


async def guardian_token(
    session: AsyncSession,
    keyring: Keyring,
    settings: IdentitySettings,
    link: Guardianship,
    now: datetime,
) -> Minted:
    ttl = guardian_ttl(link, now, settings.guardian_token_ttl_seconds)
    claims = {
        "sub": str(link.child.person_id),
        "person_key": link.child.person_key,
        "scope": GUARDIAN_SCOPES,
        "act": {"sub": str(link.guardian.person_id), "person_key": link.guardian.person_key},
        **guardian_claims(link.relation, link.parental_authority, link.child_birth_date),
    }
    return Minted(await _sign(session, keyring, settings, claims, ttl), ttl, GUARDIAN_SCOPES)
