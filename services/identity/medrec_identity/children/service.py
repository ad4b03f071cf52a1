"""The guardian's children: which ones the family registry knows for a citizen, the guardianship
rule's answer for each on the day, and the token to act for one the rule allows. A refused token
says why without naming the child. Nothing here commits; a child new to identity is added as a
person in the caller's transaction."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.family.http import HttpFamilyRegistry
from medrec_identity.family.port import FamilyEntry, FamilyRegistry, RegistryQuery
from medrec_identity.family.select import registry_for
from medrec_identity.keys import IdentityKeys
from medrec_identity.models import Person
from medrec_identity.persons.sealing import seal_name, seal_rrn, unseal_rrn
from medrec_identity.persons.service import find_or_create_person, person_by_key
from medrec_identity.settings import IdentitySettings
from medrec_identity.tokens import Guardianship, Minted, guardian_token
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import Clock, korean_date
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.guardianship import Decision, Refusal, decide, refusal_problem

log = get_logger(__name__)


@dataclass(frozen=True)
class KnownChild:
    entry: FamilyEntry
    person: Person
    decision: Decision


def refusal_detail(decision: Decision) -> str:
    if decision.reason is Refusal.AGE_LIMIT:
        return (
            f"Guardians may act online for children under {decision.limit}; "
            f"on {decision.day.isoformat()} this child is {decision.age}."
        )
    if decision.reason is Refusal.NO_PARENTAL_AUTHORITY:
        return "The family registry shows no parental authority for this child."
    return "The family registry names no parent or court-appointed guardian link to this child."


async def guardian_of(session: AsyncSession, principal: Principal) -> Person:
    assert principal.person_key is not None
    guardian = await person_by_key(session, principal.person_key)
    if guardian is None:
        raise NotFound("No such person.")
    return guardian


async def known_children(
    session: AsyncSession,
    guardian: Person,
    registry: FamilyRegistry,
    *,
    keyring: Keyring,
    keys: IdentityKeys,
    now: datetime,
) -> list[KnownChild]:
    """The registry's children of `guardian`, each with its Person (created when new) and the
    rule's decision at `now`. A child listed twice keeps its most favourable entry."""
    day = korean_date(now)
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
        person = await find_or_create_person(
            session,
            person_key=key,
            rrn_sealed=seal_rrn(keyring, entry.rrn),
            name_sealed=seal_name(keyring, entry.name),
            birth_date=entry.birth_date,
            created_at=now,
        )
        children[key] = KnownChild(entry, person, decision)
    return list(children.values())


def allowed_link(guardian: Person, child: KnownChild) -> Guardianship:
    """The guardianship a token may be minted for, or the rule's refusal as a problem."""
    decision = child.decision
    if decision.reason is not None:
        log.info(
            "guardian_token_refused",
            guardian=str(guardian.person_id),
            child=str(child.person.person_id),
            reason=decision.reason.value,
        )
        raise refusal_problem(decision.reason, refusal_detail(decision))
    relation = child.entry.relation
    assert relation is not None, "decide() refuses a missing relation"
    return Guardianship(
        guardian=guardian,
        child=child.person,
        relation=relation,
        parental_authority=child.entry.parental_authority,
        child_birth_date=child.entry.birth_date,
    )


@dataclass(kw_only=True)
class Children:
    """A guardian's children, and the token to act for one: the family registry asked, and the
    rule applied, at each call (by the service's clock)."""

    settings: IdentitySettings
    keyring: Keyring
    keys: IdentityKeys
    clock: Clock
    family_registry: HttpFamilyRegistry | None

    async def _known(
        self, session: AsyncSession, principal: Principal, now: datetime
    ) -> tuple[Person, list[KnownChild]]:
        guardian = await guardian_of(session, principal)
        registry = registry_for(self.family_registry, session, self.keyring)
        children = await known_children(
            session, guardian, registry, keyring=self.keyring, keys=self.keys, now=now
        )
        return guardian, children

    async def of(self, session: AsyncSession, principal: Principal) -> list[KnownChild]:
        """The children the registry knows for the citizen, with the rule's answer for each."""
        return (await self._known(session, principal, self.clock.now()))[1]

    async def token_for(
        self, session: AsyncSession, principal: Principal, person_id: uuid.UUID
    ) -> Minted:
        """A token to act for the child `person_id`, re-asking the registry and the rule now."""
        now = self.clock.now()
        guardian, children = await self._known(session, principal, now)
        child = next((c for c in children if c.person.person_id == person_id), None)
        if child is None:
            raise NotFound("No such child.")
        link = allowed_link(guardian, child)
        minted = await guardian_token(session, self.keyring, self.settings, link, now)
        log.info(
            "guardian_token_issued",
            guardian=str(guardian.person_id),
            child=str(person_id),
            relation=link.relation,
            expires_in=minted.expires_in,
        )
        return minted
