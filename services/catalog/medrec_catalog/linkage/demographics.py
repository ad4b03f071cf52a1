"""The demographics an operator compares, from the services that hold them sealed: ingest for a
record deposited without an RRN, identity for a verified person. Both with catalog's own
client-credentials token, scope demographics:read; each read lands in the person's access
history with the purpose linkage_review."""

import uuid

import httpx

from medrec_shared.platform.problems import ServiceUnavailable
from medrec_shared.rules.clients import IdentityClient, IngestClient
from medrec_shared.rules.contracts import PersonDemographics, RecordDemographics


class DemographicsUnavailable(ServiceUnavailable):
    type, title = "demographics-unavailable", "The demographics cannot be read now"


class DemographicsSources:
    def __init__(self, ingest: IngestClient, identity: IdentityClient) -> None:
        self.ingest = ingest
        self.identity = identity

    async def of_record(self, record_id: uuid.UUID) -> RecordDemographics | None:
        """None: ingest no longer holds the record."""
        try:
            return await self.ingest.record_demographics(record_id, "linkage_review")
        except httpx.HTTPError:
            raise _unavailable() from None

    async def of_person(self, person_id: uuid.UUID) -> PersonDemographics | None:
        """None: identity no longer knows the person."""
        try:
            return await self.identity.person_demographics(person_id, "linkage_review")
        except httpx.HTTPError:
            raise _unavailable() from None

    async def aclose(self) -> None:
        await self.ingest.aclose()
        await self.identity.aclose()


def _unavailable() -> DemographicsUnavailable:
    return DemographicsUnavailable("The demographics cannot be read now; try again.")
