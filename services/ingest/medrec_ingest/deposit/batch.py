"""Deposits of one batch request (`POST …/records:batch`, endpoints.py), group by group: lines
validated, new content stored (several uploads at once), the group committed in one short
transaction, then answered in order.

Everything answered is committed, so a dropped connection keeps what was answered and a replay
answers `unchanged` for it. One bad line does not stop the others. The batch opens its short
transactions itself, from the `Transactions` it is given; each group is judged by the day the
service's clock says it is when the group is read.
"""

import asyncio
import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import ClientDisconnect

from medrec_ingest.deposit.judgement import judge
from medrec_ingest.deposit.ndjson import Line, grouped, read_lines
from medrec_ingest.deposit.repository import OwnedRecord, RecordRepository
from medrec_ingest.deposit.schemas import BatchLine, BatchStatus, InlineContent
from medrec_ingest.deposit.service import (
    Candidate,
    conflict_problem,
    count_failed,
    new_candidate,
    store_inline,
    write_new,
)
from medrec_ingest.deposit.validation import (
    body_limit,
    check_content,
    decode_inline,
    inline_limit_error,
    parse_record,
)
from medrec_ingest.fields import EXTERNAL_ID_PATTERN
from medrec_ingest.models import Transfer
from medrec_ingest.settings import IngestSettings
from medrec_ingest.transfers.service import TransferClosed
from medrec_shared.clock import Clock, korean_date
from medrec_shared.db import Transactions
from medrec_shared.logs import get_logger
from medrec_shared.messaging import Outbox
from medrec_shared.problems import Problem, ServiceUnavailable
from medrec_shared.vault import Vault

log = get_logger(__name__)
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
_RRN_LIKE = re.compile(r"^\d{6}-?\d{7}$")
_REFUSED = (BatchStatus.invalid, BatchStatus.conflict)  # counted as the transfer's `failed`


class BatchAborted(Exception):
    """A batch stopped by an error on our side after its answer had begun."""


@dataclass
class Answer:
    line: int
    external_id: str | None
    status: BatchStatus
    record_id: uuid.UUID | None = None
    problem: dict[str, Any] | None = None

    def encode(self) -> bytes:
        body: dict[str, Any] = {
            "line": self.line,
            "external_id": self.external_id,
            "status": self.status.value,
        }
        if self.record_id is not None:
            body["record_id"] = str(self.record_id)
        if self.problem is not None:
            body["problem"] = self.problem
        return json.dumps(body, ensure_ascii=False).encode() + b"\n"


def _external_id_of(raw: bytes | None) -> str | None:
    """The line's external_id for its answer, when the line is too broken to parse but that id
    is usable (and so not personal data)."""
    if raw is None:
        return None
    try:
        value = json.loads(raw).get("external_id")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, str) and len(value) <= 200 and _EXTERNAL_ID.match(value):
        return None if _RRN_LIKE.match(value) else value
    return None


class Batch:
    """One batch request's deposits into an open transfer."""

    def __init__(
        self,
        transfer: Transfer,
        client_id: str,
        transactions: Transactions,
        settings: IngestSettings,
        vault: Vault,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self.transfer = transfer
        self.client_id = client_id
        self.transactions = transactions
        self.clock = clock
        self.settings = settings
        self.vault = vault
        self.outbox = outbox
        self.closed: TransferClosed | None = None
        self.tally: Counter[str] = Counter()

    async def answers(self, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        settings = self.settings
        lines = read_lines(body, body_limit(settings))
        groups = grouped(
            lines,
            max_lines=settings.batch_group_records,
            max_bytes=settings.batch_group_bytes,
            idle_seconds=settings.batch_flush_seconds,
        )
        try:
            async with aclosing(groups):
                async for group in groups:
                    answers = await self.deposit(group)
                    self.tally.update(a.status.value for a in answers)
                    yield b"".join(a.encode() for a in answers)
        except ClientDisconnect:
            self.tally["interrupted"] += 1
        except Exception as exc:
            # The answer has begun: no problem can be sent any more. Log the kind of error only
            # (database errors carry the refused row's values), and cut the connection so the
            # client sees the answer is incomplete; what was answered is committed.
            self.tally["aborted"] += 1
            log.error("batch_aborted", error_type=type(exc).__name__)
            raise BatchAborted from None
        finally:
            log.info("batch_deposit", transfer_id=str(self.transfer.transfer_id), **self.tally)

    async def deposit(self, group: Sequence[Line]) -> list[Answer]:
        if self.closed is not None:
            return [
                Answer(line.number, _external_id_of(line.data), BatchStatus.conflict,
                       problem=self.closed.body())
                for line in group
            ]  # fmt: skip
        today = korean_date(self.clock.now())
        answers: dict[int, Answer] = {}
        firsts: dict[str, tuple[Line, Candidate]] = {}
        repeats: list[tuple[Line, Candidate]] = []  # the same external_id again in this group
        for line in group:
            candidate = self._candidate(line, answers, today)
            if candidate is None:
                continue
            if candidate.external_id in firsts:
                repeats.append((line, candidate))
            else:
                firsts[candidate.external_id] = (line, candidate)

        code = self.transfer.institution_code
        async with self.transactions.read() as session:  # one statement: no BEGIN/COMMIT
            held = await RecordRepository(session).find(code, firsts)
        new: list[tuple[Line, Candidate]] = []
        for external_id, (line, candidate) in firsts.items():
            if external_id in held:
                answers[line.number] = self._judged(line, candidate, held[external_id])
            else:
                new.append((line, candidate))

        stored = await self._store(new, answers)
        refused = sum(a.status in _REFUSED for a in answers.values())
        try:
            async with self.transactions.begin() as session:
                inserted = await write_new(
                    session, self.outbox, self.settings, self.transfer.transfer_id,
                    [c for _, c in stored], today, failed=refused,
                )  # fmt: skip
        except TransferClosed as closed:
            self.closed = closed
            await self._discard([c for _, c in stored])
            for line, candidate in [*stored, *repeats]:
                answers[line.number] = Answer(
                    line.number, candidate.external_id, BatchStatus.conflict, problem=closed.body()
                )
            return [answers[line.number] for line in group]

        late = list(repeats)
        for line, candidate in stored:
            if candidate.record.record_id in inserted:
                answers[line.number] = Answer(
                    line.number, candidate.external_id, BatchStatus.created,
                    record_id=candidate.record.record_id,
                )  # fmt: skip
            else:  # deposited concurrently by another request: judged against that one
                late.append((line, candidate))
        await self._discard([c for _, c in stored if c.record.record_id not in inserted])
        if late:
            await self._judge_late(late, answers)
        return [answers[line.number] for line in group]

    def _candidate(self, line: Line, answers: dict[int, Answer], today: date) -> Candidate | None:
        settings = self.settings
        try:
            if line.data is None:
                raise inline_limit_error(settings.inline_content_max_bytes)
            body = parse_record(line.data, BatchLine, today)
            assert isinstance(body.content, InlineContent)  # parse_record refuses declared content
            data = decode_inline(body.content, settings.inline_content_max_bytes)
            check_content(body.content.content_type, data, body.specialty.value)
        except Problem as problem:
            answers[line.number] = Answer(
                line.number, _external_id_of(line.data), BatchStatus.invalid, problem=problem.body()
            )
            return None
        return new_candidate(settings, self.vault, self.transfer, body.external_id, body, data)

    def _judged(self, line: Line, candidate: Candidate, held: OwnedRecord) -> Answer:
        status = judge(held, candidate.fingerprint, self.client_id)
        if status is BatchStatus.unchanged:
            return Answer(line.number, candidate.external_id, status, held.record.record_id)
        return Answer(line.number, candidate.external_id, status, problem=conflict_problem().body())

    async def _store(
        self, new: list[tuple[Line, Candidate]], answers: dict[int, Answer]
    ) -> list[tuple[Line, Candidate]]:
        """Encrypts and uploads the new records' content, several at once."""
        gate = asyncio.Semaphore(self.settings.upload_concurrency)

        async def one(candidate: Candidate) -> bool:
            async with gate:
                try:
                    await store_inline(self.vault, candidate)
                except Exception as exc:
                    log.warning("batch_store_failed", error_type=type(exc).__name__)
                    return False
                return True

        results = await asyncio.gather(*(one(c) for _, c in new))
        stored = []
        for (line, candidate), ok in zip(new, results, strict=True):
            if ok:
                stored.append((line, candidate))
            else:
                problem = ServiceUnavailable("The content could not be stored; send it again.")
                answers[line.number] = Answer(
                    line.number, candidate.external_id, BatchStatus.failed, problem=problem.body()
                )
        return stored

    async def _judge_late(
        self, late: list[tuple[Line, Candidate]], answers: dict[int, Answer]
    ) -> None:
        """Repeats within the group, and records that lost a race, against what is now held."""
        async with self.transactions.begin() as session:
            held = await RecordRepository(session).find(
                self.transfer.institution_code, {c.external_id for _, c in late}
            )
        conflicts = 0
        for line, candidate in late:
            if candidate.external_id in held:
                answers[line.number] = self._judged(line, candidate, held[candidate.external_id])
                conflicts += answers[line.number].status is BatchStatus.conflict
            else:  # its first occurrence could not be stored
                problem = ServiceUnavailable("The content could not be stored; send it again.")
                answers[line.number] = Answer(
                    line.number, candidate.external_id, BatchStatus.failed, problem=problem.body()
                )
        if conflicts:
            async with self.transactions.begin() as session:
                await count_failed(session, self.transfer.transfer_id, conflicts)

    async def _discard(self, candidates: list[Candidate]) -> None:
        keys = [c.record.object_key for c in candidates if c.record.object_key is not None]
        await asyncio.gather(*(self.vault.delete(key) for key in keys))
