"""Deposits of one batch request (`POST …/records:batch`, endpoints.py), group by group: lines
validated, new content stored in one object (a segment), the group committed in one short
transaction, then answered in order. The next group is deposited while one is stored and
committed (`in_order`, two at once).

Everything answered is committed, so a dropped connection keeps what was answered and a replay
answers `unchanged` for it. One bad line does not stop the others. The batch opens its short
transactions itself, from the `Transactions` it is given; each group is judged by the day the
service's clock says it is when the group is read.
"""

import json
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import ClientDisconnect

from medrec_ingest.deposit.judgement import judge
from medrec_ingest.deposit.ndjson import Line, grouped, read_lines
from medrec_ingest.deposit.pipeline import in_order
from medrec_ingest.deposit.repository import OwnedRecord, RecordRepository
from medrec_ingest.deposit.schemas import BatchLine, BatchStatus, InlineContent
from medrec_ingest.deposit.service import (
    Candidate,
    Deposits,
    Refusal,
    conflict_problem,
    refusal,
    store_packed,
    write_new,
)
from medrec_ingest.deposit.validation import (
    body_limit,
    check_content,
    decode_inline,
    inline_limit_error,
    parse_record,
    patient_claim,
)
from medrec_ingest.fields import EXTERNAL_ID_PATTERN, RRN_LIKE
from medrec_ingest.models import Segment, Transfer
from medrec_ingest.transfers.service import TransferClosed
from medrec_shared.platform.clock import korean_date
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.problems import Problem, ServiceUnavailable

log = get_logger(__name__)
_EXTERNAL_ID = re.compile(EXTERNAL_ID_PATTERN)
_REFUSED = (BatchStatus.invalid, BatchStatus.conflict)  # counted as the transfer's `failed`
# Groups deposited at once: one validated and encrypted while the one before it is stored and
# committed. More would hold more groups in memory for no gain on the CPU.
_AT_ONCE = 2


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
        return None if RRN_LIKE.match(value) else value
    return None


def _refusal(answer: Answer) -> Refusal:
    """A refused line as staff see it: its external_id and the problem's title."""
    return refusal(answer.external_id, str((answer.problem or {}).get("title", "")))


def _not_stored(line: Line, candidate: Candidate) -> Answer:
    problem = ServiceUnavailable("The content could not be stored; send it again.")
    return Answer(line.number, candidate.external_id, BatchStatus.failed, problem=problem.body())


class Batch:
    """One batch request's deposits into an open transfer."""

    def __init__(self, deposits: Deposits, transfer: Transfer, client_id: str) -> None:
        self.deposits = deposits
        self.transfer = transfer
        self.client_id = client_id
        self.transactions = deposits.transactions
        self.clock = deposits.clock
        self.settings = deposits.settings
        self.vault = deposits.vault
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
            async with (
                aclosing(groups),
                aclosing(in_order(groups, self.deposit, _AT_ONCE)) as deposited,
            ):
                async for answers in deposited:
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
        now = self.clock.now()
        today = korean_date(now)
        answers: dict[int, Answer] = {}
        firsts: dict[str, tuple[Line, Candidate]] = {}
        repeats: list[tuple[Line, Candidate]] = []  # the same external_id again in this group
        for line in group:
            candidate = self._candidate(line, answers, now)
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

        stored, segment = await self._store(new, answers, now)
        refusals = [_refusal(a) for a in answers.values() if a.status in _REFUSED]
        try:
            async with self.transactions.begin() as session:
                inserted = await write_new(
                    session, settings=self.settings,
                    transfer_id=self.transfer.transfer_id, candidates=[c for _, c in stored],
                    today=today, failed=len(refusals), segment=segment,
                    refusals=refusals, now=now,
                )  # fmt: skip
        except TransferClosed as closed:
            self.closed = closed
            await self._discard(segment)
            for line, candidate in [*stored, *repeats]:
                answers[line.number] = Answer(
                    line.number, candidate.external_id, BatchStatus.conflict, problem=closed.body()
                )
            return [answers[line.number] for line in group]
        except BaseException:  # rolled back: nothing points into the segment
            await self._discard(segment)
            raise

        late = list(repeats)
        for line, candidate in stored:
            if candidate.record.record_id in inserted:
                answers[line.number] = Answer(
                    line.number, candidate.external_id, BatchStatus.created,
                    record_id=candidate.record.record_id,
                )  # fmt: skip
            else:  # deposited concurrently by another request: judged against that one
                late.append((line, candidate))
        if not inserted:  # all of them deposited concurrently: the segment went in with none
            await self._discard(segment)
        if late:
            await self._judge_late(late, answers)
        return [answers[line.number] for line in group]

    def _candidate(self, line: Line, answers: dict[int, Answer], now: datetime) -> Candidate | None:
        settings, today = self.settings, korean_date(now)
        try:
            if line.data is None:
                raise inline_limit_error(settings.inline_content_max_bytes)
            body = parse_record(line.data, BatchLine, today)
            assert isinstance(body.content, InlineContent)  # parse_record refuses declared content
            data = decode_inline(body.content, settings.inline_content_max_bytes)
            check_content(
                body.content.content_type, data, body.specialty.value, patient_claim(body.patient)
            )
        except Problem as problem:
            answers[line.number] = Answer(
                line.number, _external_id_of(line.data), BatchStatus.invalid, problem=problem.body()
            )
            return None
        return self.deposits.candidate(self.transfer, body.external_id, body, data, now)

    def _judged(self, line: Line, candidate: Candidate, held: OwnedRecord) -> Answer:
        status = judge(held, candidate.fingerprint, self.client_id)
        if status is BatchStatus.unchanged:
            return Answer(line.number, candidate.external_id, status, held.record.record_id)
        return Answer(line.number, candidate.external_id, status, problem=conflict_problem().body())

    async def _store(
        self, new: list[tuple[Line, Candidate]], answers: dict[int, Answer], now: datetime
    ) -> tuple[list[tuple[Line, Candidate]], Segment | None]:
        """Encrypts the new records' content into one segment (one object for the group: the
        store's cost is per object far more than per byte)."""
        if not new:
            return [], None
        try:
            segment = await store_packed(self.vault, [c for _, c in new], now)
        except Exception as exc:
            log.warning("batch_store_failed", error_type=type(exc).__name__)
            for line, candidate in new:
                answers[line.number] = _not_stored(line, candidate)
            return [], None
        return new, segment

    async def _judge_late(
        self, late: list[tuple[Line, Candidate]], answers: dict[int, Answer]
    ) -> None:
        """Repeats within the group, and records that lost a race, against what is now held."""
        async with self.transactions.begin() as session:
            held = await RecordRepository(session).find(
                self.transfer.institution_code, {c.external_id for _, c in late}
            )
        conflicts = []
        for line, candidate in late:
            if candidate.external_id in held:
                answers[line.number] = self._judged(line, candidate, held[candidate.external_id])
                if answers[line.number].status is BatchStatus.conflict:
                    conflicts.append(_refusal(answers[line.number]))
            else:  # its first occurrence could not be stored
                answers[line.number] = _not_stored(line, candidate)
        if conflicts:
            await self.deposits.count_failed(self.transfer.transfer_id, conflicts)

    async def _discard(self, segment: Segment | None) -> None:
        """The group's segment, when none of its records went in."""
        if segment is not None:
            await self.vault.delete(segment.object_key)
