"""All SQL on proxy requests and their documents. Nothing here commits."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from medrec_issuance.models import ProxyDocument, ProxyRequest, ProxyRequestStatus
from medrec_shared.platform.db import Repository


class ProxyRequestRepository(Repository):
    async def add(self, request: ProxyRequest) -> None:
        self.session.add(request)
        await self.session.flush()

    async def add_document(self, document: ProxyDocument) -> None:
        self.session.add(document)
        await self.session.flush()

    async def get(self, request_id: uuid.UUID, *, for_update: bool = False) -> ProxyRequest | None:
        return await self.session.get(ProxyRequest, request_id, with_for_update=for_update)

    async def documents(self, request_id: uuid.UUID) -> Sequence[ProxyDocument]:
        rows = await self.session.execute(
            select(ProxyDocument).where(ProxyDocument.request_id == request_id)
        )
        return rows.scalars().all()

    async def document(self, request_id: uuid.UUID, kind: str) -> ProxyDocument | None:
        return await self.session.get(ProxyDocument, (request_id, kind))

    async def by_status(
        self, status: ProxyRequestStatus | None, limit: int, after: uuid.UUID | None
    ) -> Sequence[ProxyRequest]:
        query = select(ProxyRequest)
        if status:
            query = query.where(ProxyRequest.status == status)
        if after:
            query = query.where(ProxyRequest.request_id > after)
        rows = await self.session.execute(query.order_by(ProxyRequest.request_id).limit(limit))
        return rows.scalars().all()

    async def of_requester(
        self, subject: str, limit: int, before: uuid.UUID | None
    ) -> Sequence[ProxyRequest]:
        """The requests `subject` submitted, newest first (request ids are UUIDv7, so id order
        is submission order), `limit` of them from those older than `before`."""
        query = select(ProxyRequest).where(ProxyRequest.requester_subject == subject)
        if before:
            query = query.where(ProxyRequest.request_id < before)
        rows = await self.session.execute(
            query.order_by(ProxyRequest.request_id.desc()).limit(limit)
        )
        return rows.scalars().all()
