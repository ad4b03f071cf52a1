"""issuance as ingest sees it: a completed transfer's 이관확인서, asked for with the depositor's
own token (issuance gives it to the client that deposited the transfer, no one else)."""

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from medrec_shared.platform.http import ServiceClient

RECEIPT_PATH = "/internal/v1/transfer-receipts/{transfer_id}"


@dataclass(frozen=True)
class ReceiptStream:
    """The signed PDF as it streams, its size when issuance said it, and its issuance number
    (issuance names the attachment `<number>.pdf`, as it names a copy)."""

    chunks: AsyncIterator[bytes]
    size: str | None
    number: str | None = None


def attachment_number(disposition: str) -> str | None:
    found = re.search(r'filename="?([A-Za-z0-9-]+)\.pdf"?', disposition)
    return found.group(1) if found else None


class IssuanceClient:
    def __init__(self, service: ServiceClient) -> None:
        self.service = service

    async def transfer_receipt(self, transfer_id: uuid.UUID, bearer: str) -> ReceiptStream | None:
        """The receipt, or None while it is being made (issuance has not made it yet, or has
        not heard of the completion). Raises (`httpx.HTTPStatusError`) on any other answer."""
        http = self.service.http
        request = http.build_request(
            "GET",
            RECEIPT_PATH.format(transfer_id=transfer_id),
            headers=await self.service.headers(bearer),
        )
        response = await http.send(request, stream=True)
        if response.status_code in (404, 409):
            await response.aclose()
            return None
        if response.status_code != 200:
            await response.aread()
            await response.aclose()
            response.raise_for_status()

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in response.aiter_bytes():
                    yield chunk
            finally:
                await response.aclose()

        return ReceiptStream(
            chunks(),
            response.headers.get("content-length"),
            attachment_number(response.headers.get("content-disposition", "")),
        )

    async def aclose(self) -> None:
        await self.service.aclose()
