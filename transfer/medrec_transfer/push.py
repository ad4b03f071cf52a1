"""A push: an export directory into one transfer, resumable, nothing stored twice.

Order of a push, and why it is safe to kill at any point:
1. The export is checked whole before anything is sent (export.py); invalid lines are reported
   and left out, the rest go on.
2. The transfer is the one in the state file if the service still knows it; else an open (or
   completed) transfer of this client for the same institution, reason and date (a push killed
   between opening it and writing the state); only else a new one, written to the state at once.
3. The state's list of stored records is trusted only as far as the service's counts bear it out
   (the service must hold at least as many stored records); otherwise every line is sent again.
   Sending again is harmless: a repeat of a record is answered "unchanged" (200) and a file's
   declaration says whether its content is in already, so content is streamed only when it is not.
4. Inline records go in batches (NDJSON), files one by one, streamed from disk; several jobs run
   at once. After each job the state is written (atomically, at most every `save_every` seconds,
   and always after a file).
5. With `complete`, the transfer is completed only when every line of records.ndjson is stored:
   completion is the legal handover, and a completed transfer takes nothing more. A line refused
   (here or by the service) leaves the transfer open; the outcome says how many lines are left
   out and the commonest problems, and the corrected export, pushed again, stores the rest and
   completes. With `with_missing` it completes all the same (`allow_missing`), the lines left
   out named missing by the service and on the receipt, unless nothing at all is stored.
6. The declaration (declaration.py: counts, period, manifest of every line) goes with the
   opening and the completion. After completion the 이관확인서 is downloaded (waiting while it
   is made) and saved as EXPORT_DIR/medrec-receipt.pdf; a push run again after completion only
   fetches it if it is not saved yet.
"""

import asyncio
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import anyio

from medrec_transfer.client import AsyncTransferClient
from medrec_transfer.declaration import OPENING_MANIFEST_MAX, Declaration, declare
from medrec_transfer.digest import afile_sha256, file_sha256
from medrec_transfer.errors import (
    Conflict,
    Invalid,
    NotFound,
    ProblemError,
    RateLimited,
    ServerError,
    TooLarge,
)
from medrec_transfer.export import REPORT_FILE, STATE_FILE, Export, Line, LineProblem
from medrec_transfer.models import Transfer
from medrec_transfer.progress import Reporter
from medrec_transfer.state import State, write_atomically

T = TypeVar("T")
RECEIPT_FILE = "medrec-receipt.pdf"
COMPLETION_MAX_IDS = 100_000
COMMON_PROBLEMS = 3  # the problems an incomplete push names, commonest first
# A batch line answered "failed" (the service's storage away for the moment) is sent again,
# after a wait that grows each round: rounds enough to ride out a few minutes of outage.
FAILED_ROUNDS = 10
FAILED_WAIT_CAP = 30.0


def failed_wait(round_: int) -> float:
    """The wait before sending lines answered `failed` for the `round_`-th time (from 2): 2, 4,
    8, 16, then 30 s each: 3 minutes over the ten rounds."""
    return min(2.0 ** (round_ - 1), FAILED_WAIT_CAP)


class PushAborted(Exception):
    """A refusal that is not about one line (the transfer closed, a count mismatch …)."""


@dataclass
class Outcome:
    transfer: Transfer
    records: int  # valid lines in the export
    stored: int  # of them, held by the service
    invalid: int  # lines reported in medrec-report.ndjson
    completed: bool
    sent_bytes: int = 0
    lines: int = 0  # lines of records.ndjson, valid or not
    held_open: bool = False  # --complete, but lines are left out: not completed
    left_out: list[tuple[int, str | None]] = field(default_factory=list)  # (line, external_id)
    problems: list[tuple[str, int]] = field(default_factory=list)  # commonest first
    receipt: Path | None = None  # saved
    receipt_number: str | None = None
    receipt_pending: bool = False  # completed, its receipt not made within the wait

    @property
    def not_stored(self) -> int:
        """Lines of records.ndjson the transfer does not hold."""
        return self.lines - self.stored


@dataclass
class _Batch:
    lines: list[Line]
    round: int = 1


@dataclass
class _Report:
    """medrec-report.ndjson and the terminal: one line per invalid record, nothing but its
    external_id and the problem."""

    path: Path
    reporter: Reporter
    count: int = 0
    refused: set[str] = field(default_factory=set)  # external_ids the service refused
    entries: list[tuple[int, str | None]] = field(default_factory=list)  # (line, external_id)
    problems: Counter[str] = field(default_factory=Counter)  # "field: message" → lines
    _handle: IO[str] | None = field(default=None, repr=False)

    def open(self) -> None:
        self._handle = self.path.open("w", encoding="utf-8")

    def line(self, entry: dict[str, Any], text: str) -> None:
        assert self._handle is not None
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._handle.flush()
        self.count += 1
        self.reporter.say(text)

    def local(self, problem: LineProblem) -> None:
        self.entries.append((problem.line, problem.external_id))
        described = [f"{e['field']}: {e['message']}" for e in problem.errors]
        self.problems.update(set(described) or {problem.title})
        self.line(problem.as_report(), str(problem))

    def remote(self, line: Line, problem: ProblemError) -> None:
        self.refused.add(line.external_id)
        self.entries.append((line.number, line.external_id))
        described = [f"{e.field}: {e.message}" for e in problem.errors]
        self.problems.update(set(described) or {problem.title or problem.type})
        entry = {"line": line.number, "external_id": line.external_id, "problem": problem.as_dict()}
        self.line(entry, f"line {line.number} ({line.external_id}): {problem}")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


class Push:
    def __init__(
        self,
        export: Export,
        client: AsyncTransferClient,
        reporter: Reporter,
        *,
        complete: bool = False,
        with_missing: bool = False,
        receipt_wait: float = 120.0,
        batch_size: int = 200,
        batch_bytes: int = 8 * 1024 * 1024,
        concurrency: int = 4,
        save_every: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.export = export
        self.client = client
        self.reporter = reporter
        self.complete = complete or with_missing
        self.with_missing = with_missing
        self.receipt_wait = receipt_wait
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.concurrency = max(1, concurrency)
        self.save_every = save_every
        self.clock = clock
        self._sleep = sleep
        self.state = State.load(export.root / STATE_FILE)
        self.report = _Report(export.root / REPORT_FILE, reporter)
        self._saved_at = 0.0
        self._sent_bytes = 0
        self._declaration: Declaration | None = None
        self._receipt: tuple[Path | None, bool] = (None, False)  # saved, pending

    # -- the transfer --------------------------------------------------------------------------
    async def find_transfer(self, *, create: bool) -> Transfer | None:
        code = self.export.institution_code
        if self.state.institution_code not in (None, code):
            self.state = State(self.state.path)  # another export's state: start afresh
        if self.state.transfer_id:
            try:
                transfer = await self.client.get_transfer(self.state.transfer_id)
                if transfer.institution.get("code") == code:
                    return transfer
            except NotFound:
                pass
            self.state = State(self.state.path)
        wanted = self.export.transfer
        found: list[Transfer] = []
        async for transfer in self.client.list_transfers():
            if (
                transfer.institution.get("code") == code
                and transfer.reason == wanted.get("reason")
                and transfer.effective_date == wanted.get("effective_date")
                and transfer.status in ("open", "completed")
            ):
                found.append(transfer)
        if found:
            # An open one first (a push killed before it wrote its state), else the completed.
            transfer = sorted(found, key=lambda t: t.status != "open")[0]
        elif not create:
            return None
        else:
            transfer = await self._open(wanted)
            self.reporter.say(f"opened transfer {transfer.transfer_id}")
        self.state.transfer_id = transfer.transfer_id
        self.state.institution_code = code
        self.state.save()
        return transfer

    # -- the push ------------------------------------------------------------------------------
    async def run(self) -> Outcome:
        self.report.open()
        try:
            for problem in self.export.problems:
                self.report.local(problem)
            return await self._run()
        finally:
            self.report.close()
            self.reporter.close()

    async def _run(self) -> Outcome:
        lines = self.export.lines
        transfer = await self.find_transfer(create=True)
        assert transfer is not None
        wanted = {line.external_id for line in lines}
        kept = self.state.stored & wanted
        if transfer.counts.stored < len(kept):
            self.reporter.say(
                f"the service holds {transfer.counts.stored} stored records, the state file "
                f"{len(kept)}: sending every record again (repeats change nothing)"
            )
            kept = set()
        self.state.stored = kept
        if transfer.status != "open":
            self.reporter.say(f"transfer {transfer.transfer_id} is {transfer.status}; nothing sent")
            # Completed holding as many records as the export has valid lines: these ones.
            if transfer.counts.stored >= len(lines):
                self.state.stored = set(wanted)
            self.state.completed = transfer.status == "completed"
            self.state.save()
            if self.state.completed:
                await self._keep_receipt(transfer)
            return self._outcome(transfer)

        todo = [line for line in lines if line.external_id not in kept]
        if todo:
            self.reporter.say(
                f"transfer {transfer.transfer_id}: {len(todo)} of {len(lines)} records to send"
            )
        self.reporter.start(
            records=len(lines),
            size=sum(line.size for line in lines),
            done_records=len(lines) - len(todo),
            done_bytes=sum(line.size for line in lines if line.external_id in kept),
        )
        await self._send(todo)
        self.state.save()

        transfer = await self.client.get_transfer(transfer.transfer_id)
        # Every line ends stored or reported; the transfer holds the stored ones.
        missing = [
            line for line in lines
            if line.external_id not in self.state.stored | self.report.refused
        ]  # fmt: skip
        left_out = len(self.export.problems) + len(self.report.refused)
        # A transfer that holds nothing is not handed over, with_missing or not.
        anything = bool(self.state.stored & {line.external_id for line in lines})
        if self.complete and not missing and anything and (not left_out or self.with_missing):
            transfer = await self._complete(transfer)
            await self._keep_receipt(transfer)
        outcome = self._outcome(transfer)
        outcome.held_open = self.complete and not missing and not outcome.completed
        return outcome

    # -- completion and its receipt ------------------------------------------------------------
    async def declaration(self) -> Declaration:
        """The export's declaration, computed once, off the event loop (it reads every line)."""
        if self._declaration is None:
            self._declaration = await anyio.to_thread.run_sync(
                declare, self.export, self._file_digest
            )
        return self._declaration

    def _file_digest(self, path: Path) -> str:
        key = str(path.relative_to(self.export.root.resolve()))
        digest = self.state.digest_of(key, path)
        if digest is None:
            digest = file_sha256(path)
            self.state.keep_digest(key, path, digest)
        return digest

    async def _open(self, wanted: dict[str, Any]) -> Transfer:
        """Opens the transfer with its declaration (the manifest too when it is short: the
        completion carries it anyway). A service older than declarations refuses the field:
        opened without it then (a refusal opened nothing, so asking again is safe)."""
        declaration = await self.declaration()
        with_manifest = len(declaration.manifest) <= OPENING_MANIFEST_MAX
        declared = declaration.as_json(with_manifest=with_manifest)
        return await _without_declaration(
            lambda: self.client.open_transfer(wanted | {"declared": declared}),
            lambda: self.client.open_transfer(wanted),
            self.reporter,
            opening=True,
        )

    async def _complete(self, transfer: Transfer) -> Transfer:
        lines = self.export.lines
        stored_ids = [line.external_id for line in lines if line.external_id in self.state.stored]
        listed = stored_ids if len(stored_ids) <= COMPLETION_MAX_IDS else None
        declared = (await self.declaration()).as_json()
        transfer_id = transfer.transfer_id
        try:
            transfer = await _without_declaration(
                lambda: self.client.complete(
                    transfer_id, len(stored_ids), listed, declared=declared,
                    allow_missing=self.with_missing,
                ),
                lambda: self.client.complete(transfer_id, len(stored_ids), listed),
                self.reporter,
                opening=False,
            )  # fmt: skip
        except Conflict as refused:
            raise PushAborted(
                f"the transfer could not be completed: {refused}{_reconciled(refused)}"
            ) from None
        self.state.completed = True
        self.state.save()
        self.reporter.say(f"completed transfer {transfer.transfer_id}")
        return transfer

    async def _keep_receipt(self, transfer: Transfer) -> None:
        """Saves the completed transfer's 이관확인서 as EXPORT_DIR/medrec-receipt.pdf, unless it
        is saved already; waits `receipt_wait` seconds at most while it is being made."""
        path = self.export.root / RECEIPT_FILE
        if self.state.receipt_number and path.is_file():
            self._receipt = (path, False)
            return
        try:
            receipt = await self.client.receipt(transfer.transfer_id, wait=self.receipt_wait)
        except Conflict:
            self._receipt = (None, True)
            return
        except NotFound:
            self.reporter.say("the service has no receipt for this transfer")
            return
        await anyio.to_thread.run_sync(write_atomically, path, receipt.pdf)
        self.state.receipt_number = receipt.number or "?"
        self.state.save()
        self._receipt = (path, False)

    def _outcome(self, transfer: Transfer) -> Outcome:
        lines = self.export.lines
        return Outcome(
            transfer=transfer,
            records=len(lines),
            stored=sum(1 for line in lines if line.external_id in self.state.stored),
            invalid=self.report.count,
            completed=transfer.status == "completed",
            sent_bytes=self._sent_bytes,
            lines=len(lines) + len(self.export.problems),
            left_out=sorted(self.report.entries, key=lambda entry: entry[0]),
            problems=self.report.problems.most_common(COMMON_PROBLEMS),
            receipt=self._receipt[0],
            receipt_number=self.state.receipt_number,
            receipt_pending=self._receipt[1],
        )

    async def _send(self, todo: list[Line]) -> None:
        queue: asyncio.Queue[_Batch | Line] = asyncio.Queue()
        batches = self._batches([line for line in todo if line.inline])
        files = [line for line in todo if not line.inline]
        # Interleaved, so that batches move while large files stream.
        for i in range(max(len(batches), len(files))):
            if i < len(batches):
                queue.put_nowait(batches[i])
            if i < len(files):
                queue.put_nowait(files[i])

        async def worker() -> None:
            while True:
                try:
                    job = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if isinstance(job, _Batch):
                    # Lines the service could not store are sent again by this worker, after
                    # a wait: its storage is away, and the other batches would fail alike.
                    while (again := await self._send_batch(job)) and job.round < FAILED_ROUNDS:
                        job = _Batch(again, job.round + 1)
                        wait = failed_wait(job.round)
                        self.reporter.say(
                            f"the service could not store {len(again)} line(s); sending them "
                            f"again in {wait:.0f} s (round {job.round})"
                        )
                        await self._sleep(wait)
                else:
                    await self._send_file(job)

        async with asyncio.TaskGroup() as group:
            for _ in range(self.concurrency):
                group.create_task(worker())

    def _batches(self, lines: list[Line]) -> list[_Batch]:
        out: list[_Batch] = []
        current: list[Line] = []
        size = 0
        for line in lines:
            full = len(current) >= self.batch_size or size + line.length > self.batch_bytes
            if current and full:
                out.append(_Batch(current))
                current, size = [], 0
            current.append(line)
            size += line.length
        if current:
            out.append(_Batch(current))
        return out

    async def _send_batch(self, batch: _Batch) -> list[Line]:
        """Sends one batch; the lines answered `failed`, to be sent again."""
        raw = self._read(batch.lines)
        try:
            results = await self.client.deposit_batch(self.state.transfer_id or "", raw)
        except (ServerError, RateLimited):
            raise  # still failing when the retries gave up: not refused, unavailable (exit 3)
        except ProblemError as refused:
            raise PushAborted(f"a batch was refused: {refused}") from None
        if len(results) != len(batch.lines):
            raise PushAborted(f"a batch of {len(batch.lines)} was answered {len(results)} times")
        again: list[Line] = []
        for line, result in zip(batch.lines, results, strict=True):
            if result.stored:
                self.state.stored.add(line.external_id)
                self._sent_bytes += line.size
                self.reporter.advance(1, line.size)
            elif result.status == "failed" and batch.round < FAILED_ROUNDS:  # sent again
                again.append(line)
            else:
                problem = result.problem or ProblemError(status=422, title=result.status)
                self.report.remote(line, problem)
        self._save(force=False)
        return again

    def _read(self, lines: list[Line]) -> list[bytes]:
        with self.export.records_path.open("rb") as f:
            out = []
            for line in lines:
                f.seek(line.offset)
                out.append(f.read(line.length))
            return out

    async def _send_file(self, line: Line) -> None:
        assert line.file is not None
        with self.export.records_path.open("rb") as f:
            record = self.export.read_line(line, f)
        for name in ("external_id", "content"):
            record.pop(name, None)
        key = str(line.file.relative_to(self.export.root.resolve()))
        digest = self.state.digest_of(key, line.file)
        if digest is None:
            digest = await afile_sha256(line.file)
            self.state.keep_digest(key, line.file, digest)
        shown = 0

        def on_progress(sent: int) -> None:  # bytes of this attempt; a retry starts again at 0
            nonlocal shown
            self.reporter.advance(0, sent - shown)
            shown = sent

        try:
            deposit = await self.client.deposit_file(
                self.state.transfer_id or "", line.external_id, record, line.file,
                line.content_type, sha256=digest, on_progress=on_progress,
            )  # fmt: skip
        except (Invalid, TooLarge) as refused:
            on_progress(0)
            self.report.remote(line, refused)
            return
        except Conflict as refused:
            on_progress(0)
            if refused.type != "record-conflict":
                raise PushAborted(f"a record was refused: {refused}") from None
            self.report.remote(line, refused)
            return
        except (ServerError, RateLimited):
            raise  # still failing when the retries gave up: not refused, unavailable (exit 3)
        except ProblemError as refused:
            raise PushAborted(f"a record was refused: {refused}") from None
        on_progress(0)
        self._sent_bytes += line.size if deposit.created else 0
        self.reporter.advance(1, line.size)
        self.state.stored.add(line.external_id)
        self._save(force=True)

    def _save(self, *, force: bool) -> None:
        now = self.clock()
        if force or now - self._saved_at >= self.save_every:
            self._saved_at = now
            self.state.save()


def _reconciled(refused: ProblemError) -> str:
    """What a refused completion's reconciliation names, in counts and fields (ids are in the
    report's terms: external_ids, never content)."""
    found = refused.extra.get("reconciliation")
    if not isinstance(found, dict):
        return ""
    parts = [
        f"{len(found.get(name) or [])} {name.replace('_', ' ')}"
        for name in ("missing", "unexpected", "digest_mismatch")
        if found.get(name)
    ]
    parts += [
        f"{d.get('field')}: declared {d.get('declared')}, stored {d.get('stored')}"
        for d in found.get("differences") or []
        if isinstance(d, dict)
    ]
    return f" ({'; '.join(parts)})" if parts else ""


async def _without_declaration(
    call: Callable[[], Awaitable[T]],
    fallback: Callable[[], Awaitable[T]],
    reporter: Reporter,
    *,
    opening: bool,
) -> T:
    """`call`; `fallback` (without the declaration) when the service does not know the fields
    (`declared`, `allow_missing`: a service older than declarations) or, at the opening only,
    refuses the declaration (it is informative there: the completion's is the one reconciled)."""
    try:
        return await call()
    except Invalid as refused:
        unknown = {"declared", "allow_missing"} & set(refused.fields)
        declaration = [f for f in refused.fields if f.split(".")[0] == "declared"]
        if not unknown and not (opening and declaration):
            raise
        if unknown:
            reporter.say("the service does not take a declaration; sent without it")
        else:
            reporter.say(f"the service did not take the declaration ({refused}); opened without it")
        return await fallback()
