"""The SQL of transfers: the transfer rows, their counts, and what completion checks of their
records. Nothing here commits: the caller's transaction does."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from medrec_ingest.models import DepositProblem, Record, RecordStatus, Transfer, TransferStatus
from medrec_ingest.transfers.reconciliation import StoredLine
from medrec_shared.platform.db import Repository

_TRANSFERS = cast(Table, Transfer.__table__)
# Built once: every deposit runs it, and building the statement cost more CPU than running it.
# Core, not the ORM's update: no session that runs it holds the transfer's object.
_COUNT_IF_OPEN = (
    update(_TRANSFERS)
    .where(
        _TRANSFERS.c.transfer_id == bindparam("transfer"),
        _TRANSFERS.c.status == TransferStatus.open,
    )
    .values(
        received=_TRANSFERS.c.received + bindparam("add_received"),
        stored=_TRANSFERS.c.stored + bindparam("add_stored"),
        failed=_TRANSFERS.c.failed + bindparam("add_failed"),
        expired_on_arrival=_TRANSFERS.c.expired_on_arrival + bindparam("add_expired"),
        bytes=_TRANSFERS.c.bytes + bindparam("add_bytes"),
    )
    .returning(_TRANSFERS.c.transfer_id)
)


@dataclass(frozen=True)
class Tally:
    total: int
    awaiting: int


class TransferRepository(Repository):
    async def get(self, transfer_id: uuid.UUID, *, for_update: bool = False) -> Transfer | None:
        """Any client's transfer: for operators."""
        return await self.session.get(Transfer, transfer_id, with_for_update=for_update)

    async def get_for_client(
        self, transfer_id: uuid.UUID, client_id: str, *, for_update: bool = False
    ) -> Transfer | None:
        """A depositor sees only its own transfers (Art. 40-3); others' are simply not found."""
        query = select(Transfer).where(
            Transfer.transfer_id == transfer_id, Transfer.client_id == client_id
        )
        if for_update:
            query = query.with_for_update()
        return await self.scalar(query.execution_options(populate_existing=True))

    async def list_for_client(
        self, client_id: str, limit: int, after: uuid.UUID | None
    ) -> list[Transfer]:
        query = select(Transfer).where(Transfer.client_id == client_id)
        if after is not None:
            query = query.where(Transfer.transfer_id > after)
        rows = await self.session.execute(query.order_by(Transfer.transfer_id).limit(limit))
        return list(rows.scalars())

    async def open_for_client(self, client_id: str) -> list[Transfer]:
        """The client's transfers still taking records, oldest first."""
        query = select(Transfer).where(
            Transfer.client_id == client_id, Transfer.status == TransferStatus.open
        )
        rows = await self.session.execute(query.order_by(Transfer.created_at))
        return list(rows.scalars())

    async def overseen(
        self,
        *,
        regions: frozenset[str] | None,
        status: TransferStatus | None,
        limit: int,
        after: uuid.UUID | None,
        transfer_id: uuid.UUID | None = None,
    ) -> list[Transfer]:
        """Every client's transfers, for staff: in one of `regions` (the institution's region as
        deposited, each spelling of it) and in `status` when given, oldest first."""
        query = select(Transfer)
        if regions is not None:
            query = query.where(Transfer.institution["region"].astext.in_(sorted(regions)))
        if status is not None:
            query = query.where(Transfer.status == status)
        if transfer_id is not None:
            query = query.where(Transfer.transfer_id == transfer_id)
        if after is not None:
            query = query.where(Transfer.transfer_id > after)
        rows = await self.session.execute(query.order_by(Transfer.transfer_id).limit(limit))
        return list(rows.scalars())

    async def recent_problems(self, transfer_id: uuid.UUID, limit: int) -> list[DepositProblem]:
        """The transfer's latest refused deposits, newest first."""
        rows = await self.session.execute(
            select(DepositProblem)
            .where(DepositProblem.transfer_id == transfer_id)
            .order_by(DepositProblem.id.desc())
            .limit(limit)
        )
        return list(rows.scalars())

    async def add(self, transfer: Transfer) -> None:
        self.session.add(transfer)
        await self.session.flush()

    async def refresh(self, transfer: Transfer) -> None:
        """Reads back what the database filled in (created_at)."""
        await self.session.refresh(transfer)

    async def count_if_open(
        self,
        transfer_id: uuid.UUID,
        *,
        received: int = 0,
        stored: int = 0,
        failed: int = 0,
        expired: int = 0,
        size: int = 0,
    ) -> bool:
        """Adds to the counts of a transfer that is still open; False (nothing changed) once it
        is not. The row stays locked until commit, so a completion waits for this deposit and
        a deposit after a completion sees it closed."""
        result = await self.session.execute(
            _COUNT_IF_OPEN,
            {
                "transfer": transfer_id,
                "add_received": received,
                "add_stored": stored,
                "add_failed": failed,
                "add_expired": expired,
                "add_bytes": size,
            },
        )
        return result.first() is not None

    async def complete(
        self,
        transfer: Transfer,
        record_count: int,
        now: datetime,
        reconciliation: dict[str, Any] | None = None,
    ) -> None:
        transfer.status = TransferStatus.completed
        transfer.record_count = record_count
        transfer.completed_at = now
        transfer.reconciliation = reconciliation
        await self.session.flush()

    async def stored_lines(self, transfer_id: uuid.UUID) -> list[StoredLine]:
        """What a declaration is checked against: the transfer's records whose content is in."""
        rows = await self.session.execute(
            select(
                Record.external_id,
                Record.sha256,
                Record.kind,
                Record.specialty,
                Record.service_start,
                Record.service_end,
            ).where(Record.transfer_id == transfer_id, Record.status == RecordStatus.stored)
        )
        return [StoredLine(*row) for row in rows]

    # -- a transfer's records, as completion checks them ------------------------------------
    async def tally(self, transfer_id: uuid.UUID) -> Tally:
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count().filter(Record.status == RecordStatus.awaiting_content),
                ).where(Record.transfer_id == transfer_id)
            )
        ).one()
        return Tally(total=int(row[0]), awaiting=int(row[1]))

    async def awaiting_content(self, transfer_id: uuid.UUID, limit: int) -> list[str]:
        rows = await self.session.execute(
            select(Record.external_id)
            .where(
                Record.transfer_id == transfer_id,
                Record.status == RecordStatus.awaiting_content,
            )
            .order_by(Record.external_id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def present(self, transfer_id: uuid.UUID, external_ids: Sequence[str]) -> set[str]:
        if not external_ids:
            return set()
        rows = await self.session.execute(
            select(Record.external_id).where(
                Record.transfer_id == transfer_id,
                Record.external_id
                == any_(bindparam("ids", list(external_ids), type_=ARRAY(String))),
            )
        )
        return set(rows.scalars())
