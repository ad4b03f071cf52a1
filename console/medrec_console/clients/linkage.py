"""catalog's linkage candidates as a reviewer works them (linkage:review): the list (no personal
data), one candidate with both sides' demographics (an audited read), approve and reject. An
approval by a first reviewer is a proposal; a second, different reviewer's confirms it."""

import uuid

from medrec_console.clients.http import Api
from medrec_console.clients.models import Candidate, CandidateDetail, Candidates

BASE = "/v1/admin/linkage-candidates"


class LinkageClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def candidates(
        self, token: str, *, status: str | None, limit: int, cursor: str | None
    ) -> Candidates:
        params: dict[str, str | int] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        return await self.api.call(Candidates, "GET", BASE, token=token, params=params)

    async def candidate(self, token: str, candidate_id: uuid.UUID) -> CandidateDetail:
        return await self.api.call(CandidateDetail, "GET", f"{BASE}/{candidate_id}", token=token)

    async def approve(self, token: str, candidate_id: uuid.UUID, reason: str) -> Candidate:
        path = f"{BASE}/{candidate_id}/approve"
        return await self.api.call(Candidate, "POST", path, token=token, json={"reason": reason})

    async def reject(self, token: str, candidate_id: uuid.UUID, reason: str) -> Candidate:
        path = f"{BASE}/{candidate_id}/reject"
        return await self.api.call(Candidate, "POST", path, token=token, json={"reason": reason})
