"""catalog as the portal calls it: the directory of closed institutions (anyone), the subject's
records and their access history (with the subject's token), and the person's own notices (with
their own token)."""

import uuid
from collections.abc import AsyncIterator

import httpx

from medrec_portal.clients.http import Api
from medrec_portal.clients.models import (
    AccessEntry,
    Institution,
    MyTransferRequests,
    NoticePreferences,
    Notices,
    RecordsSummary,
    TransferRequestOut,
)
from medrec_shared.platform.pages import Page
from medrec_shared.rules.contracts import RecordSummary


class CatalogClient:
    def __init__(self, api: Api) -> None:
        self.api = api

    async def institutions(self, params: dict[str, str]) -> list[Institution]:
        found = await self.api.call(Page[Institution], "GET", "/v1/institutions", params=params)
        return found.items

    async def my_records(self, token: str, params: dict[str, str]) -> Page[RecordSummary]:
        """A page of the subject's records under catalog's filters (`params`)."""
        return await self.api.call(
            Page[RecordSummary], "GET", "/v1/me/records", token=token, params=params
        )

    async def my_records_summary(self, token: str) -> RecordsSummary:
        """What is held for the subject by institution and specialty: the choices of a filter,
        not a listing (catalog records no access for it)."""
        return await self.api.call(RecordsSummary, "GET", "/v1/me/records/summary", token=token)

    async def everything(
        self, token: str, person_id: str, *, include_rrn: bool
    ) -> tuple[httpx.Response, AsyncIterator[bytes]]:
        """The subject's records as one KR Core Bundle (`$everything`), as it streams; the RRN
        in it only with `include_rrn` (a flag: the number is never in a URL)."""
        path = f"/fhir/Patient/{uuid.UUID(person_id)}/$everything"
        if include_rrn:
            path += "?_include-rrn=true"
        return await self.api.stream(path, token=token)

    async def access_log(self, token: str, limit: int) -> list[AccessEntry]:
        found = await self.api.call(
            Page[AccessEntry], "GET", "/v1/me/access-log", token=token, params={"limit": limit}
        )
        return found.items

    async def ask_transfer(self, token: str, institution_code: str) -> TransferRequestOut:
        """이관 요청 of a clinic not held here (201, or 200 when asked already); 404 unknown,
        409 held here already."""
        return await self.api.call(
            TransferRequestOut, "POST", "/v1/me/transfer-requests", token=token,
            json={"institution_code": institution_code},
        )  # fmt: skip

    async def my_transfer_requests(self, token: str) -> set[str]:
        """The codes of the clinics the subject asked for."""
        found = await self.api.call(
            MyTransferRequests, "GET", "/v1/me/transfer-requests", token=token
        )
        return set(found.institution_codes)

    async def notices(self, token: str, limit: int, cursor: str | None = None) -> Notices:
        """The token's own person's 알림함 (a guardian's own, also while acting for a child)."""
        params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        return await self.api.call(Notices, "GET", "/v1/me/notices", token=token, params=params)

    async def read_notice(self, token: str, notice_id: uuid.UUID) -> None:
        await self.api.send("POST", f"/v1/me/notices/{notice_id}/read", token=token)

    async def notice_preferences(self, token: str) -> NoticePreferences:
        return await self.api.call(
            NoticePreferences, "GET", "/v1/me/notice-preferences", token=token
        )

    async def choose_notices(self, token: str, kinds: dict[str, bool]) -> NoticePreferences:
        return await self.api.call(
            NoticePreferences,
            "PUT",
            "/v1/me/notice-preferences",
            token=token,
            json={"kinds": kinds},
        )

    async def aclose(self) -> None:
        await self.api.aclose()
