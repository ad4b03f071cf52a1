"""Acting for a child: `GET /v1/me/children` lists the children the family registry knows for the
citizen, with the guardianship rule's answer for each; `POST /v1/me/children/{person_id}/token`
mints a token to act for one. Both need the citizen's own token: a guardian token cannot list or
mint further child tokens. The rules: `children.service`."""

import uuid

from fastapi import APIRouter, Response

from medrec_identity.children.schemas import ChildOut, ChildrenOut, GuardianTokenOut
from medrec_identity.clients.oauth import NO_STORE
from medrec_identity.deps import ChildrenDep, SelfPrincipal, Session
from medrec_identity.family.port import FamilyRegistryUnavailable
from medrec_shared.platform.openapi import problem_responses

# Both ask the family registry, now: when it cannot answer, nothing is granted (503).
router = APIRouter(tags=["guardians"], responses=problem_responses(FamilyRegistryUnavailable))


@router.get("/v1/me/children", response_model=ChildrenOut)
async def list_children(
    principal: SelfPrincipal, session: Session, family: ChildrenDep
) -> ChildrenOut:
    children = await family.of(session, principal)
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
    response: Response,
    principal: SelfPrincipal,
    session: Session,
    children: ChildrenDep,
) -> GuardianTokenOut:
    minted = await children.token_for(session, principal, person_id)
    response.headers.update(NO_STORE)
    return GuardianTokenOut(
        access_token=minted.access_token,
        expires_in=minted.expires_in,
        scope=minted.scope,
        person_id=person_id,
    )
