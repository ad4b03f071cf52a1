"""issuance's Art. 21 requests as a reviewer works them (proxy-requests:review): the queue, one
request with the patient as typed and the match (an audited read), its documents (each read
audited), approve and reject. A first reviewer's approval is a proposal (the status stays
"submitted", `proposed_by` set); a second, different reviewer's issues the copy."""

import uuid

from medrec_console.clients.http import Api
from medrec_console.clients.models import (
    ProxyRequestDetail,
    ProxyRequestReviewed,
    ProxyRequests,
)

BASE = "/v1/admin/proxy-requests"


class DocumentTooLarge(Exception):
    pass


class ProxyRequestsClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def queue(
        self, token: str, *, status: str | None, limit: int, cursor: str | None
    ) -> ProxyRequests:
        params: dict[str, str | int] = {"limit": limit}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        return await self.api.call(ProxyRequests, "GET", BASE, token=token, params=params)

    async def request(self, token: str, request_id: uuid.UUID) -> ProxyRequestDetail:
        return await self.api.call(ProxyRequestDetail, "GET", f"{BASE}/{request_id}", token=token)

    async def document(
        self, token: str, request_id: uuid.UUID, kind: str, max_bytes: int
    ) -> tuple[str, bytes]:
        """The document's declared type and bytes, read whole up to `max_bytes` (it is rendered
        to pictures here, never passed on)."""
        response, body = await self.api.stream(f"{BASE}/{request_id}/documents/{kind}", token=token)
        try:
            content = bytearray()
            async for chunk in body:
                content.extend(chunk)
                if len(content) > max_bytes:
                    raise DocumentTooLarge
        finally:
            await response.aclose()
        kind_header = response.headers.get("content-type", "application/octet-stream")
        return kind_header.split(";", 1)[0].strip().lower(), bytes(content)

    async def approve(self, token: str, request_id: uuid.UUID, reason: str) -> ProxyRequestReviewed:
        path = f"{BASE}/{request_id}/approve"
        body = {"reason": reason}
        return await self.api.call(ProxyRequestReviewed, "POST", path, token=token, json=body)

    async def reject(self, token: str, request_id: uuid.UUID, reason: str) -> ProxyRequestReviewed:
        path = f"{BASE}/{request_id}/reject"
        body = {"reason": reason}
        return await self.api.call(ProxyRequestReviewed, "POST", path, token=token, json=body)
