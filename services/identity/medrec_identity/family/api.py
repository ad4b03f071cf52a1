"""Acting for a child: `GET /v1/me/children` lists the children the family registry knows for the
citizen, with the guardianship rule's answer for each; `POST /v1/me/children/{person_id}/token`
mints a token to act for one. Both need the citizen's own token: a guardian token cannot list or
mint further child tokens."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from medrec_identity.deps import (
    AppClock,
    FieldKeyring,
    Keys,
    Registry,
    SelfPrincipal,
    Session,
    Settings,
)
from medrec_identity.family.port import FamilyEntry, FamilyRegistry, RegistryQuery
from medrec_identity.keys import IdentityKeys
from medrec_identity.models import Person
from medrec_identity.persons import NewPerson, PersonRepository, seal_name, seal_rrn, unseal_rrn
from medrec_identity.tokens import Guardianship, guardian_token
from medrec_shared.auth import Principal
from medrec_shared.crypto import Keyring
from medrec_shared.guardianship import Decision, Refusal, decide, refusal_problem, seoul_day
from medrec_shared.logs import get_logger
from medrec_shared.problems import NotFound

router = APIRouter(tags=["guardians"])
log = get_logger(__name__)


class ChildOut(BaseModel):
    person_id: uuid.UUID
    name: str
    birth_date: date
    age: int
    eligible: bool
    reason: str | None  # age_limit | not_a_guardian | no_parental_authority


class ChildrenOut(BaseModel):
    items: list[ChildOut]
    next_cursor: str | None = None


class GuardianTokenOut(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    scope: str
    person_id: uuid.UUID  # the child


@dataclass(frozen=True)
class KnownChild:
    entry: FamilyEntry
    person: Person
    decision: Decision


def _refusal_detail(decision: Decision) -> str:
    if decision.reason is Refusal.AGE_LIMIT:
        return (
            f"Guardians may act online for children under {decision.limit}; "
            f"on {decision.day.isoformat()} this child is {decision.age}."
        )
    if decision.reason is Refusal.NO_PARENTAL_AUTHORITY:
        return "The family registry shows no parental authority for this child."
    return "The family registry names no parent or court-appointed guardian link to this child."


async def _guardian(principal: Principal, persons: PersonRepository) -> Person:
    assert principal.person_key is not None
    guardian = await persons.by_key(principal.person_key)
    if guardian is None:
        raise NotFound("No such person.")
    return guardian


async def known_children(
    guardian: Person,
    registry: FamilyRegistry,
    persons: PersonRepository,
    keyring: Keyring,
    keys: IdentityKeys,
    now: datetime,
) -> list[KnownChild]:
    """The registry's children of `guardian`, each with its Person (created when new) and the
    rule's decision at `now`. A child listed twice keeps its most favourable entry."""
    day = seoul_day(now)
    query = RegistryQuery(guardian.person_key, unseal_rrn(keyring, guardian.rrn_sealed))
    children: dict[str, KnownChild] = {}
    for entry in await registry.children_of(query, day):
        key = keys.person_key(entry.rrn)
        if key == guardian.person_key or entry.birth_date > day:
            log.warning("family_registry_entry_ignored")
            continue
        decision = decide(entry.relation, entry.parental_authority, entry.birth_date, now)
        known = children.get(key)
        if known is not None and (known.decision.allowed or not decision.allowed):
            continue
        person = await persons.find_or_create(
            NewPerson(
                person_key=key,
                rrn_sealed=seal_rrn(keyring, entry.rrn),
                name_sealed=seal_name(keyring, entry.name),
                birth_date=entry.birth_date,
            )
        )
        children[key] = KnownChild(entry, person, decision)
    return list(children.values())


@router.get("/v1/me/children", response_model=ChildrenOut)
async def list_children(
    principal: SelfPrincipal,
    session: Session,
    registry: Registry,
    keyring: FieldKeyring,
    keys: Keys,
    clock: AppClock,
) -> ChildrenOut:
    persons = PersonRepository(session)
    guardian = await _guardian(principal, persons)
    children = await known_children(guardian, registry, persons, keyring, keys, clock.now())
    return ChildrenOut(
        items=[
            ChildOut(
                person_id=child.person.person_id,
                name=child.entry.name,
                birth_date=child.entry.birth_date,
                age=child.decision.age,
                eligible=child.decision.allowed,
                reason=child.decision.reason.value if child.decision.reason else None,
            )
            for child in children
        ]
    )


@router.post("/v1/me/children/{person_id}/token", response_model=GuardianTokenOut)
async def child_token(
    person_id: uuid.UUID,
    principal: SelfPrincipal,
    session: Session,
    settings: Settings,
    registry: Registry,
    keyring: FieldKeyring,
    keys: Keys,
    clock: AppClock,
) -> GuardianTokenOut:
    persons = PersonRepository(session)
    guardian = await _guardian(principal, persons)
    now = clock.now()
    children = await known_children(guardian, registry, persons, keyring, keys, now)
    child = next((c for c in children if c.person.person_id == person_id), None)
    if child is None:
        raise NotFound("No such child.")
    decision = child.decision
    if decision.reason is not None:
        log.info(
            "guardian_token_refused",
            guardian=str(guardian.person_id),
            child=str(person_id),
            reason=decision.reason.value,
        )
        raise refusal_problem(decision.reason, _refusal_detail(decision))
    relation = child.entry.relation
    assert relation is not None, "decide() refuses a missing relation"
    link = Guardianship(
        guardian=guardian,
        child=child.person,
        relation=relation,
        parental_authority=child.entry.parental_authority,
        child_birth_date=child.entry.birth_date,
    )
    minted = await guardian_token(session, keyring, settings, link, now)
    log.info(
        "guardian_token_issued",
        guardian=str(guardian.person_id),
        child=str(person_id),
        relation=link.relation,
        expires_in=minted.expires_in,
    )
    return GuardianTokenOut(
        access_token=minted.access_token,
        expires_in=minted.expires_in,
        scope=minted.scope,
        person_id=child.person.person_id,
    )
