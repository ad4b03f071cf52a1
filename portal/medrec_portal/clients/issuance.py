"""issuance as the portal calls it: certified copies and the other documents (preview, request,
watch, list, download), Art. 21 requests (submit, list), the public authenticity check, and
shares (제출): made, listed and revoked by the citizen, opened by their recipient with the link's
token and the access code."""

import json
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import httpx

from medrec_portal.clients.http import Api
from medrec_portal.clients.models import (
    DocumentPreview,
    Issuance,
    OwnProxyRequests,
    ProxyRequest,
    Share,
    ShareCreated,
    Shares,
    Verification,
)
from medrec_shared.platform.pages import Page


@dataclass(frozen=True, kw_only=True)
class DocumentAsked:
    """A document made from the records one institution holds for the subject in a period
    (issuance's `IssuanceIn` without record ids)."""

    document_type: str
    institution_code: str
    start: date
    end: date
    include_diagnoses: bool = False
    purpose: str = ""

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "document_type": self.document_type,
            "institution_code": self.institution_code,
            "period": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "include_diagnoses": self.include_diagnoses,
        }
        return body | ({"purpose": self.purpose} if self.purpose else {})


class IssuanceClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def request_copy(self, token: str, record_ids: list[str], purpose: str) -> Issuance:
        body: dict[str, Any] = {"record_ids": record_ids}
        if purpose:
            body["purpose"] = purpose
        return await self.api.call(Issuance, "POST", "/v1/issuances", token=token, json=body)

    async def preview(self, token: str, asked: DocumentAsked) -> DocumentPreview:
        """What the document would hold; nothing to show is a 422 `ApiProblem` (its reason)."""
        return await self.api.call(
            DocumentPreview, "POST", "/v1/issuances:preview", token=token, json=asked.body()
        )

    async def request_document(self, token: str, asked: DocumentAsked) -> Issuance:
        return await self.api.call(
            Issuance, "POST", "/v1/issuances", token=token, json=asked.body()
        )

    async def issuance(self, token: str, issuance_id: uuid.UUID) -> Issuance:
        return await self.api.call(Issuance, "GET", f"/v1/issuances/{issuance_id}", token=token)

    async def issuances(self, token: str, limit: int) -> list[Issuance]:
        found = await self.api.call(
            Page[Issuance], "GET", "/v1/issuances", token=token, params={"limit": limit}
        )
        return found.items

    async def document(
        self, token: str, issuance_id: uuid.UUID
    ) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """The copy's PDF as it streams: the response (headers read) and its body; the caller
        closes the response when the body is done."""
        return await self.api.stream(f"/v1/issuances/{issuance_id}/document", token=token)

    async def proxy_requests(self, token: str, limit: int, cursor: str | None) -> OwnProxyRequests:
        """A page of the citizen's own requests, newest first."""
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        return await self.api.call(
            OwnProxyRequests, "GET", "/v1/proxy-requests", token=token, params=params
        )

    async def submit_proxy_request(
        self,
        token: str,
        *,
        patient_name: str,
        patient_rrn: str,
        relation: str,
        institution_code: str | None,
        files: dict[str, tuple[str, bytes, str]],
    ) -> ProxyRequest:
        """An Art. 21 request with its documents (`files`: kind -> name, bytes, type). The
        patient's RRN goes in the multipart body, never in a URL."""
        request: dict[str, Any] = {
            "patient": {"name": patient_name, "rrn": patient_rrn},
            "relation": relation,
        }
        if institution_code:
            request["institution_code"] = institution_code
        data = {"request": json.dumps(request, ensure_ascii=False)}
        return await self.api.call(
            ProxyRequest, "POST", "/v1/proxy-requests", token=token, data=data, files=files
        )

    async def verify(self, number: str, code: str) -> Verification:
        params = {"number": number, "code": code}
        return await self.api.call(Verification, "GET", "/v1/verify", params=params)

    async def verify_upload(self, body: AsyncIterable[bytes], content_type: str) -> Verification:
        return await self.api.post_streamed(Verification, "/v1/verify", body, content_type)

    async def create_share(
        self, token: str, issuance_id: uuid.UUID, recipient: str, days: int
    ) -> ShareCreated:
        body = {"recipient": recipient, "expires_in_days": days}
        path = f"/v1/issuances/{issuance_id}/shares"
        return await self.api.call(ShareCreated, "POST", path, token=token, json=body)

    async def shares(self, token: str, issuance_id: uuid.UUID) -> list[Share]:
        path = f"/v1/issuances/{issuance_id}/shares"
        return (await self.api.call(Shares, "GET", path, token=token)).items

    async def revoke_share(self, token: str, issuance_id: uuid.UUID, share_id: uuid.UUID) -> None:
        await self.api.send("DELETE", f"/v1/issuances/{issuance_id}/shares/{share_id}", token=token)

    async def shared_document(
        self, share_token: str, access_code: str
    ) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """A shared copy's PDF as it streams, for its recipient (no token of ours: the link's
        token, in the path as issuance takes it, and the code in the body). The caller closes
        the response when the body is done."""
        path = f"/v1/shares/{quote(share_token, safe='')}/document"
        return await self.api.stream_post(path, json={"access_code": access_code})

    async def aclose(self) -> None:
        await self.api.aclose()
