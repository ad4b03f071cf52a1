"""The notification port: how a notice leaves medrec (SMS or 알림톡), the shape every outside
party has (identity's verification/). Adapters:

- `SandboxNoticeSender` (the local stack): the notice stays in the 알림함; one log line with its
  kind and id, never a name, a number or the text.
- `HttpNoticeSender` (production): POSTs the text to the provider with its API key, to the
  phone `ContactBook` gives. `IdentityContacts` asks identity's
  `GET /internal/v1/persons/{person_key}/contact` (scope `contact:read`): the mobile number the
  person's newest verification proved, which identity keeps sealed. A person no verification
  proved a phone for (404) is recorded `no_contact`. The phone is read at send time and kept
  nowhere here, nor logged.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol

import httpx

from medrec_catalog.models import DeliveryStatus
from medrec_shared.platform.http import ServiceClient
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules.contracts import PersonContact

log = get_logger(__name__)


@dataclass(frozen=True)
class Outgoing:
    notice_id: uuid.UUID
    person_key: str
    kind: str
    text: str


class NoticeSender(Protocol):
    name: str

    async def send(self, outgoing: Outgoing) -> DeliveryStatus: ...

    async def aclose(self) -> None: ...


class ContactBook(Protocol):
    async def phone(self, person_key: str) -> str | None:
        """The person's verified mobile number, or None when none is known."""
        ...

    async def aclose(self) -> None: ...


class SandboxNoticeSender:
    name = "sandbox"

    async def send(self, outgoing: Outgoing) -> DeliveryStatus:
        log.info(
            "notice_sent", sender=self.name, kind=outgoing.kind, notice_id=str(outgoing.notice_id)
        )
        return DeliveryStatus.sent

    async def aclose(self) -> None:
        return None


class IdentityContacts:
    """identity's contact endpoint, with catalog's own token for scope contact:read."""

    def __init__(self, service: ServiceClient) -> None:
        self.service = service

    async def phone(self, person_key: str) -> str | None:
        found = await self.service.find(PersonContact, f"/internal/v1/persons/{person_key}/contact")
        return None if found is None else found.phone

    async def aclose(self) -> None:
        await self.service.aclose()


class HttpNoticeSender:
    """An SMS/알림톡 provider's HTTP API: `POST <url>` with `Authorization: Bearer <key>` and
    `{to, text, reference}` (the reference is the notice id, for the provider's receipts). A 2xx
    is sent; anything else raises, and the deliverer tries again later."""

    name = "http"

    def __init__(
        self, url: str, api_key: str, contacts: ContactBook, *, timeout: float = 10
    ) -> None:
        self.url, self.contacts = url, contacts
        self.http = httpx.AsyncClient(
            timeout=timeout, headers={"Authorization": f"Bearer {api_key}"}
        )

    async def send(self, outgoing: Outgoing) -> DeliveryStatus:
        phone = await self.contacts.phone(outgoing.person_key)
        if phone is None:
            log.info("notice_no_contact", kind=outgoing.kind, notice_id=str(outgoing.notice_id))
            return DeliveryStatus.no_contact
        response = await self.http.post(
            self.url,
            json={"to": phone, "text": outgoing.text, "reference": str(outgoing.notice_id)},
        )
        response.raise_for_status()
        log.info(
            "notice_sent", sender=self.name, kind=outgoing.kind, notice_id=str(outgoing.notice_id)
        )
        return DeliveryStatus.sent

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.contacts.aclose()
