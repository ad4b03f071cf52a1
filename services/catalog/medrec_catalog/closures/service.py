"""An import of the public closure data: the whole file in one transaction (a refused file, or
one that fails half way, changes nothing), written in batches as it is read (constant memory at
any size). A re-import updates each closure in place: by its 요양기관기호, or by its natural key
for the closures HIRA publishes without one; never a second row."""

from dataclasses import dataclass
from typing import BinaryIO

from medrec_catalog.closures.hira import Closure, Tally, read_closures
from medrec_catalog.closures.repository import ClosureRepository
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.db import Transactions

BATCH = 1000


@dataclass(frozen=True)
class ImportReport:
    read: int
    skipped: int
    new: int
    updated: int


async def _write(repository: ClosureRepository, batch: list[Closure], clock: Clock) -> int:
    """Writes one batch; answers how many were new."""
    unique: dict[str, Closure] = {}  # a row repeated in the file: its last reading
    for closure in batch:
        unique[closure.code or closure.key] = closure
    keyed = [c for c in unique.values() if c.code is None]
    known = await repository.codes_of([c.key for c in keyed]) if keyed else {}
    fresh = [c for c in keyed if c.key not in known]
    codes = iter(await repository.new_codes(len(fresh))) if fresh else iter(())
    assigned = {c.key: next(codes) for c in fresh}
    rows = [(c.code or known.get(c.key) or assigned[c.key], c) for c in unique.values()]
    return await repository.upsert(rows, clock.now())


async def import_closures(
    stream: BinaryIO, *, transactions: Transactions, clock: Clock
) -> ImportReport:
    """Reads and writes the file; `hira.Refused` (nothing kept) when it is not one it reads."""
    tally = Tally()
    written = new = 0
    async with transactions.begin() as session:
        repository = ClosureRepository(session)
        batch: list[Closure] = []
        for closure in read_closures(stream, tally):
            batch.append(closure)
            if len(batch) == BATCH:
                new += await _write(repository, batch, clock)
                written += len(batch)
                batch = []
        if batch:
            new += await _write(repository, batch, clock)
            written += len(batch)
    return ImportReport(read=tally.read, skipped=tally.skipped, new=new, updated=written - new)
