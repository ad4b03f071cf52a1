import uuid

from sqlalchemy import select, update

from medrec_ingest.models import Record, Transfer
from medrec_shared.db import Repository


class TransferRepository(Repository):
    async def get_for_client(self, transfer_id: uuid.UUID, client_id: str) -> Transfer | None:
        """A depositor sees only its own transfers (Art. 40-3); others' are simply not found."""
        return await self.scalar(
            select(Transfer).where(
                Transfer.transfer_id == transfer_id, Transfer.client_id == client_id
            )
        )

    async def list_for_client(
        self, client_id: str, limit: int, after: uuid.UUID | None
    ) -> list[Transfer]:
        query = select(Transfer).where(Transfer.client_id == client_id)
        if after is not None:
            query = query.where(Transfer.transfer_id > after)
        rows = await self.session.execute(query.order_by(Transfer.transfer_id).limit(limit))
        return list(rows.scalars())

    async def add(self, transfer: Transfer) -> None:
        self.session.add(transfer)
        await self.session.flush()

    async def count_stored(self, transfer_id: uuid.UUID, size: int, expired: bool) -> None:
        await self.session.execute(
            update(Transfer)
            .where(Transfer.transfer_id == transfer_id)
            .values(
                received=Transfer.received + 1,
                stored=Transfer.stored + 1,
                bytes=Transfer.bytes + size,
                expired_on_arrival=Transfer.expired_on_arrival + int(expired),
            )
        )


class RecordRepository(Repository):
    async def get(self, record_id: uuid.UUID) -> Record | None:
        return await self.session.get(Record, record_id)

    async def by_external_id(self, institution_code: str, external_id: str) -> Record | None:
        return await self.scalar(
            select(Record).where(
                Record.institution_code == institution_code, Record.external_id == external_id
            )
        )

    async def add(self, record: Record) -> None:
        self.session.add(record)
        await self.session.flush()
