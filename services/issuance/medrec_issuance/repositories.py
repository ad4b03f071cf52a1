import uuid
from collections.abc import Sequence

from sqlalchemy import select

from medrec_issuance.models import Issuance, ProxyDocument, ProxyRequest
from medrec_shared.auth import Principal
from medrec_shared.db import Repository


class IssuanceRepository(Repository):
    async def add(self, issuance: Issuance) -> None:
        self.session.add(issuance)
        await self.session.flush()

    async def get(self, issuance_id: uuid.UUID, *, for_update: bool = False) -> Issuance | None:
        return await self.session.get(Issuance, issuance_id, with_for_update=for_update)

    async def get_for(self, issuance_id: uuid.UUID, principal: Principal) -> Issuance | None:
        """Only the requester sees a request: the same subject, and the same guardian if any."""
        return await self.scalar(
            select(Issuance).where(
                Issuance.issuance_id == issuance_id,
                Issuance.requester_subject == principal.subject,
                Issuance.requester_actor.is_(None)
                if principal.actor is None
                else Issuance.requester_actor == principal.actor,
            )
        )

    async def list_for(
        self, principal: Principal, limit: int, after: uuid.UUID | None
    ) -> Sequence[Issuance]:
        query = select(Issuance).where(
            Issuance.requester_subject == principal.subject,
            Issuance.requester_actor.is_(None)
            if principal.actor is None
            else Issuance.requester_actor == principal.actor,
        )
        if after:
            query = query.where(Issuance.issuance_id > after)
        rows = await self.session.execute(query.order_by(Issuance.issuance_id).limit(limit))
        return rows.scalars().all()

    async def by_number(self, number: str) -> Issuance | None:
        return await self.scalar(select(Issuance).where(Issuance.issuance_number == number))

    async def holding(self, record_id: uuid.UUID) -> Sequence[Issuance]:
        """Stored copies that include the record."""
        rows = await self.session.execute(
            select(Issuance)
            .where(Issuance.record_ids.contains([record_id]), Issuance.object_key.is_not(None))
            .with_for_update()
        )
        return rows.scalars().all()

    async def by_sha256(self, sha256: str) -> Issuance | None:
        return await self.scalar(select(Issuance).where(Issuance.sha256 == sha256))


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
        self, status: str | None, limit: int, after: uuid.UUID | None
    ) -> Sequence[ProxyRequest]:
        query = select(ProxyRequest)
        if status:
            query = query.where(ProxyRequest.status == status)
        if after:
            query = query.where(ProxyRequest.request_id > after)
        rows = await self.session.execute(query.order_by(ProxyRequest.request_id).limit(limit))
        return rows.scalars().all()
