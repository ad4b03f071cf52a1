"""identity as the other services see it: the subject's name, read with the caller's own token
(issuance, for a copy's cover), and a verified person's demographics (catalog's linkage
review, with its client credentials; the read lands in the person's access history)."""

import uuid

from medrec_shared.platform.http import ServiceClient
from medrec_shared.rules.audit import Purpose
from medrec_shared.rules.contracts import Me, PersonDemographics, PersonKey, PersonKeyQuery


class IdentityClient:
    def __init__(self, service: ServiceClient) -> None:
        self.service = service

    async def me(self, bearer: str, *, include_rrn: bool = False) -> Me:
        """The subject of `bearer`: the citizen, or the child a guardian token acts for; their
        RRN too with `include_rrn` (the subject's own export, when they ask for it)."""
        params = {"include_rrn": "true"} if include_rrn else None
        return await self.service.read(Me, "/v1/me", params=params, bearer=bearer)

    async def subject_name(self, bearer: str) -> str:
        return (await self.me(bearer)).name

    async def person_demographics(
        self, person_id: uuid.UUID, purpose: Purpose
    ) -> PersonDemographics | None:
        """None: identity no longer knows the person."""
        return await self.service.find(
            PersonDemographics,
            f"/internal/v1/persons/{person_id}/demographics",
            params={"purpose": purpose},
        )

    async def person_key(self, rrn: str) -> str:
        """The key `rrn`'s records are filed under (catalog's scope person-keys:read); the RRN
        goes in the body. The caller validates it first (medrec_shared.rules.rrn)."""
        answer = await self.service.submit(
            PersonKey, "/internal/v1/person-keys", json=PersonKeyQuery(rrn=rrn).model_dump()
        )
        return answer.person_key

    async def aclose(self) -> None:
        await self.service.aclose()
