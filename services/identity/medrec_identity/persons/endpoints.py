"""`GET /v1/me`: the token's subject, the only response that carries their name; the internal
reads of a person for medrec's own services (demographics, the verified phone), each under a
service scope of its own."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from medrec_identity.deps import (
    AppClock,
    CitizenPrincipal,
    ContactReader,
    DemographicsReader,
    FieldKeyring,
    Keys,
    PersonKeysReader,
    Session,
    Settings,
)
from medrec_identity.persons.repository import PersonRepository
from medrec_identity.persons.sealing import unseal_name, unseal_rrn
from medrec_identity.persons.service import verified_phone
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import NotFound, ValidationFailed
from medrec_shared.rules.audit import Purpose, system_access
from medrec_shared.rules.contracts import (
    Me,
    PersonContact,
    PersonDemographics,
    PersonKey,
    PersonKeyQuery,
)
from medrec_shared.rules.guardianship import guardian_token_decision, refusal_problem
from medrec_shared.rules.rrn import InvalidRRN, normalise_rrn, parse_rrn

router = APIRouter(tags=["verification"])
internal_router = APIRouter(tags=["internal"], prefix="/internal/v1")
log = get_logger(__name__)


@router.get("/v1/me", response_model=Me, response_model_exclude_none=True)
async def me(
    principal: CitizenPrincipal,
    session: Session,
    keyring: FieldKeyring,
    clock: AppClock,
    include_rrn: Annotated[
        bool, Query(description="also the subject's RRN (their own FHIR export, when asked)")
    ] = False,
) -> Me:
    """The subject of the token: the citizen, or the child a guardian token acts for (re-checked
    against the guardianship rule, as every use of a guardian token is). Their sex, from the
    RRN; the RRN itself only with `include_rrn` (catalog's `$everything`, when the person asks
    for their identifier in the export: the flag is in the URL, the number never is)."""
    decision = guardian_token_decision(principal.claims, clock.now())
    if decision is not None and decision.reason is not None:
        raise refusal_problem(decision.reason, "This guardian token may no longer be used.")
    assert principal.person_key is not None
    person = await PersonRepository(session).by_key(principal.person_key)
    if person is None:
        raise NotFound("No such person.")
    name = unseal_name(keyring, person.name_sealed)
    rrn, _, sex = parse_rrn(unseal_rrn(keyring, person.rrn_sealed), today=person.birth_date)
    return Me(
        person_id=person.person_id,
        name=name,
        birth_date=person.birth_date,
        sex=sex,
        rrn=rrn if include_rrn else None,
    )


@internal_router.get("/persons/{person_id}/demographics", response_model=PersonDemographics)
async def person_demographics(
    person_id: uuid.UUID,
    purpose: Purpose,
    session: Session,
    keyring: FieldKeyring,
    caller: DemographicsReader,
    settings: Settings,
) -> PersonDemographics:
    """A verified person's name, birth date and sex (from the RRN's century digit), for catalog's
    linkage review (scope demographics:read); never the RRN. Each read is recorded, announced in the
    request's transaction, in the person's access history with the calling client and the
    purpose it gave; catalog records the operator's act there too."""
    person = await PersonRepository(session).get(person_id)
    if person is None:
        raise NotFound("No such person.")
    event = system_access(
        caller.subject, person.person_key, "person_demographics", str(person_id), purpose
    )
    announce(session, settings.topic_audit, person.person_key, event)
    sex = parse_rrn(unseal_rrn(keyring, person.rrn_sealed))[2]
    log.info("demographics_read", person_id=str(person_id), caller=caller.subject)
    return PersonDemographics(
        person_id=person.person_id,
        name=unseal_name(keyring, person.name_sealed),
        birth_date=person.birth_date,
        sex=sex,
    )


@internal_router.get("/persons/{person_key}/contact", response_model=PersonContact)
async def person_contact(
    person_key: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
    session: Session,
    keyring: FieldKeyring,
    caller: ContactReader,
) -> PersonContact:
    """The mobile number the person's newest verification proved, for catalog to send a notice
    to (scope contact:read); 404 when no verification proved one. Logged without the number."""
    phone = await verified_phone(session, keyring, person_key)
    log.info("contact_read", caller=caller.subject, found=phone is not None)
    if phone is None:
        raise NotFound("No verified phone is known for this person.")
    return PersonContact(phone=phone)


@internal_router.post("/person-keys", response_model=PersonKey)
async def person_key(query: PersonKeyQuery, keys: Keys, _: PersonKeysReader) -> PersonKey:
    """The key an RRN's records are filed under, whether or not the person has verified here:
    for catalog's FHIR search by `patient.identifier`, which then shows that person's records
    only to that person (scope person-keys:read). Nothing is read or stored, so nothing is
    recorded; the RRN comes in the body and is never logged."""
    try:
        normalise_rrn(query.rrn)
    except InvalidRRN:
        raise ValidationFailed(
            errors=[{"field": "rrn", "message": "not a valid resident registration number"}]
        ) from None
    return PersonKey(person_key=keys.person_key(query.rrn))
