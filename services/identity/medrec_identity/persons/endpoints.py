"""`GET /v1/me`: the token's subject, the only response that carries their name."""

import uuid
from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel

from medrec_identity.deps import AppClock, CitizenPrincipal, FieldKeyring, Session
from medrec_identity.persons.repository import PersonRepository
from medrec_identity.persons.sealing import unseal_name
from medrec_shared.guardianship import guardian_token_decision, refusal_problem
from medrec_shared.problems import NotFound

router = APIRouter(tags=["verification"])


class Me(BaseModel):
    person_id: uuid.UUID
    name: str
    birth_date: date


@router.get("/v1/me", response_model=Me)
async def me(
    principal: CitizenPrincipal, session: Session, keyring: FieldKeyring, clock: AppClock
) -> Me:
    """The subject of the token: the citizen, or the child a guardian token acts for (re-checked
    against the guardianship rule, as every use of a guardian token is)."""
    decision = guardian_token_decision(principal.claims, clock.now())
    if decision is not None and decision.reason is not None:
        raise refusal_problem(decision.reason, "This guardian token may no longer be used.")
    assert principal.person_key is not None
    person = await PersonRepository(session).by_key(principal.person_key)
    if person is None:
        raise NotFound("No such person.")
    name = unseal_name(keyring, person.name_sealed)
    return Me(person_id=person.person_id, name=name, birth_date=person.birth_date)
