"""`make bench`: ingest's bulk, single-PUT and streaming paths, and the ingest process's peak
RSS during a 1 GiB upload, each beside its raw baseline measured in the same run on the same S3
server (the local stack's SeaweedFS) and database; and what the durable broker costs."""

import asyncio
import base64
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil
from minio import Minio

from bench import baselines, broker
from bench.results import Result
from bench.stack import (
    RECORD_SIZE,
    Depositor,
    MiB,
    database_dsn,
    digest_of,
    inline_record,
    minio_client,
    ndjson_line,
    pattern,
    record,
    running_cluster,
)
from medrec_devstack.cluster import Cluster
from medrec_ingest.settings import IngestSettings

BULK_RECORDS = int(os.environ.get("BENCH_BULK_RECORDS", "5000"))
SINGLE_RECORDS = int(os.environ.get("BENCH_SINGLE_RECORDS", "1000"))
STREAM_BYTES = int(os.environ.get("BENCH_STREAM_MIB", "1024")) * MiB
# BENCH_ONLY=deposits: the raw puts and inserts, bulk and single PUTs, and nothing else (no
# streams, broker or copies), for working on the deposit paths. BENCH_ONLY=stream: the raw
# multipart and the streaming PUT alone, interleaved, for working on the streamed upload.
ONLY = os.environ.get("BENCH_ONLY", "")
# BENCH_PYSPY=<file.svg|file.txt>: py-spy records ingest-api during the single PUTs (a flame
# graph, or collapsed stacks for a .txt); BENCH_PYSPY_BULK=<file> during the bulk request;
# BENCH_PYSPY_STREAM=<file> during the last streaming PUT.
PYSPY = os.environ.get("BENCH_PYSPY", "")
PYSPY_BULK = os.environ.get("BENCH_PYSPY_BULK", "")
PYSPY_STREAM = os.environ.get("BENCH_PYSPY_STREAM", "")
# BENCH_PYSPY_CATALOG=<file>: catalog's worker, from the bulk request until catalog lists it all.
PYSPY_CATALOG = os.environ.get("BENCH_PYSPY_CATALOG", "")
CONCURRENCY = 8  # the issue's: single PUTs, and the raw PUTs they are compared with
GROUP = IngestSettings.model_fields["batch_group_records"].default
BENCH_CLIENT = "bench client"  # cpu_by_process's name for this process


class PeakRss:
    """The highest resident set of a process while the block runs: sampled every 20 ms, and
    the kernel's high-water mark (VmHWM, reset first) when it can be read."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.pid = pid
        self.samples: list[int] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.samples.append(self.process.memory_info().rss)
            time.sleep(0.02)

    def _hwm(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> "PeakRss":
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")  # reset VmHWM
            self.reset = True
        except OSError:
            self.reset = False
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max([*self.samples, self._hwm() if self.reset else 0])


def bulk(client: Depositor, count: int) -> float:
    transfer_id = client.open_transfer()
    lines = [ndjson_line(n, "bulk") for n in range(count)]

    def body() -> Iterator[bytes]:
        for start in range(0, count, 50):
            yield b"".join(lines[start : start + 50])

    started = time.perf_counter()
    response = client.http.post(
        f"/v1/transfers/{transfer_id}/records:batch",
        content=body(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    created = response.text.count('"status": "created"')
    if created != count:
        raise RuntimeError(f"bulk: {created} of {count} created")
    return elapsed


@contextmanager
def profiled(pid: int, output: str) -> Iterator[None]:
    """py-spy on `pid` while the block runs, when `output` names its file."""
    if not output:
        yield
        return
    kind = "raw" if output.endswith(".txt") else "flamegraph"
    spy = subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--format",
         kind, "--output", output, "--rate", "200", "--nonblocking"]
    )  # fmt: skip
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(60)


@contextmanager
def cpu_split(cluster: Cluster, units: int, unit: str) -> Iterator[dict[str, float]]:
    """The CPU each process of the stack spent on the block, in ms per `unit`, printed and
    filled into the dict it yields."""
    split: dict[str, float] = {}
    before = cpu_by_process(cluster)
    yield split
    after = cpu_by_process(cluster)
    split.update({name: (after[name] - before.get(name, 0)) / units * 1000 for name in after})
    print(f"  CPU per {unit}: " + ", ".join(
        f"{name} {ms:.2f} ms" for name, ms in sorted(split.items(), key=lambda kv: -kv[1])
        if ms >= 0.01), flush=True)  # fmt: skip


@contextmanager
def cpu_per_gib(cluster: Cluster, what: str) -> Iterator[None]:
    """The CPU seconds each process of the stack spent on the block per GiB streamed, printed."""
    before = cpu_by_process(cluster)
    yield
    after = cpu_by_process(cluster)
    gib = STREAM_BYTES / (1024 * MiB)
    split = {name: (after[name] - before.get(name, 0)) / gib for name in after}
    print(f"  CPU s per GiB, {what}: " + ", ".join(
        f"{name} {s:.2f}" for name, s in sorted(split.items(), key=lambda kv: -kv[1])
        if s >= 0.01), flush=True)  # fmt: skip


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """The CPU time of a process and, with `children`, its children's (PostgreSQL's backends
    are its children)."""
    process = psutil.Process(pid)
    total = 0.0
    for each in [process, *(process.children(recursive=True) if children else [])]:
        try:
            times = each.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def cpu_by_process(cluster: Cluster) -> dict[str, float]:
    """CPU seconds so far of every process of the stack (the workers included: the relay and
    the consumers are a deposit's work too), and this one's."""
    assert cluster.infra is not None
    named = dict(cluster.processes)
    named |= {p.name: p for p in cluster.infra.processes}
    pids = {name: p.popen.pid for name, p in named.items() if p.popen is not None}
    return {name: cpu_seconds(pid) for name, pid in pids.items()} | {
        # Its own only: the stack's processes are its children.
        BENCH_CLIENT: cpu_seconds(os.getpid(), children=False)
    }


def settled(pid: int, timeout: float = 120) -> None:
    """Waits until the process spends under 4% of a CPU over half a second: a worker just
    started has imported, connected and caught up, so its start is not counted as the work."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last < 0.02:
            return
        last = now
    raise RuntimeError(f"process {pid} still busy after {timeout:.0f} s")


class CatalogListing:
    """Catalog's database, asked how many records of an institution it lists, and how many
    transactions it has committed (pg_stat_database): one connection, kept for the wait."""

    def __init__(self, cluster: Cluster, institution_code: str) -> None:
        self.dsn = database_dsn(cluster, "medrec_catalog")
        self.code = institution_code
        self.own_commits = 0  # this client's own statements, each a transaction of its own

    async def _wait(self, count: int, deadline: float) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while True:
                self.own_commits += 1
                listed = await conn.fetchval(
                    "SELECT count(*) FROM records WHERE institution_code = $1", self.code
                )
                if listed >= count:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"catalog listed {listed} of {count} records in time")
                await asyncio.sleep(0.1)
        finally:
            await conn.close()

    def commits(self) -> int:
        """Transactions committed in catalog's database so far, less this client's own."""

        async def read() -> int:
            conn = await asyncpg.connect(self.dsn)
            try:
                self.own_commits += 2
                await conn.execute("SELECT pg_stat_clear_snapshot()")
                return int(
                    await conn.fetchval(
                        "SELECT xact_commit FROM pg_stat_database "
                        "WHERE datname = current_database()"
                    )
                )
            finally:
                await conn.close()

        return asyncio.run(read()) - self.own_commits

    def wait_for(self, count: int, timeout: float = 600) -> None:
        """Waits, with a deadline, until catalog lists `count` records of the institution."""
        asyncio.run(self._wait(count, time.monotonic() + timeout))


def bulk_through_catalog(
    cluster: Cluster, client: Depositor, count: int
) -> tuple[float, dict[str, float], float]:
    """The bulk request with catalog's worker running, as in production: seconds until the
    answer, and the CPU of every process of the stack per record from before the request until
    catalog lists every record (ingest's relay, Tansu, catalog's consumer and PostgreSQL finish
    the work after the answer), and catalog's database commits per record."""
    worker = cluster.start_process("catalog", "worker")
    try:
        listing = CatalogListing(cluster, client.code)
        assert worker.popen is not None
        settled(worker.popen.pid)
        commits_before = listing.commits()
        api = cluster.processes["ingest-api"].pid
        before = cpu_by_process(cluster)
        with profiled(worker.popen.pid, PYSPY_CATALOG):
            with profiled(api, PYSPY_BULK):
                seconds = bulk(client, count)
            listing.wait_for(count)
        after = cpu_by_process(cluster)
        # PostgreSQL publishes a backend's counts within a second or so of its transactions.
        settled(worker.popen.pid)
        time.sleep(1.5)
        commits_after = listing.commits()
    finally:
        cluster.stop_process("catalog", "worker")
    split = {name: (after[name] - before.get(name, 0)) / count * 1000 for name in after}
    print("  CPU per bulk record, until catalog lists them all: " + ", ".join(
        f"{name} {ms:.3f} ms" for name, ms in sorted(split.items(), key=lambda kv: -kv[1])
        if ms >= 0.001), flush=True)  # fmt: skip
    return seconds, split, (commits_after - commits_before) / count


def single_puts(client: Depositor, count: int, concurrency: int) -> float:
    transfer_id = client.open_transfer()
    bodies = [inline_record(n) for n in range(count)]
    local = threading.local()

    def put(n: int) -> int:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=client.base_url, headers=client.headers,
                                      timeout=120)  # fmt: skip
        url = f"/v1/transfers/{transfer_id}/records/single-{n:06d}"
        return local.http.put(url, json=bodies[n]).status_code

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(put, range(count)))
    elapsed = time.perf_counter() - started
    if statuses.count(201) != count:
        raise RuntimeError(f"single PUT: {statuses.count(201)} of {count} created")
    return elapsed


def streaming(cluster: Cluster, client: Depositor, size: int, run: int) -> tuple[float, int]:
    transfer_id = client.open_transfer()
    sha = digest_of(size)
    declared = record(0, {"content_type": "text/plain", "size": size, "sha256": sha})
    path = f"/v1/transfers/{transfer_id}/records/big-{run}"
    client.http.put(path, json=declared).raise_for_status()
    digest = f"sha-256=:{base64.b64encode(bytes.fromhex(sha)).decode()}:"
    with PeakRss(cluster.processes["ingest-api"].pid) as rss:
        started = time.perf_counter()
        response = client.http.put(
            f"{path}/content",
            content=pattern(size),
            headers={"Content-Type": "text/plain", "Content-Digest": digest},
        )
        elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"streaming: {response.status_code} {response.text[:200]}")
    return elapsed, rss.peak


def _mb(n: float) -> float:
    return n / 1e6


def run(cluster: Cluster) -> list[Result]:
    s3 = minio_client(cluster)
    client = Depositor(cluster, "89999999")
    mb_bulk = BULK_RECORDS * RECORD_SIZE

    idle_rss = psutil.Process(cluster.processes["ingest-api"].pid).memory_info().rss
    if ONLY == "stream":
        return streams(cluster, s3, client, idle_rss)

    # Load on a shared machine drifts: each raw baseline runs before and after the path it is
    # compared with, and the faster run counts (the ratio errs against ingest).
    def raw_put_rate() -> float:
        print(f"raw S3 puts: {BULK_RECORDS} x 10 KB, {CONCURRENCY} at a time …", flush=True)
        return BULK_RECORDS / baselines.raw_puts(s3, BULK_RECORDS, CONCURRENCY)

    raw_puts = [raw_put_rate()]
    print(f"plain INSERTs: {BULK_RECORDS} rows, {GROUP} per transaction …", flush=True)
    dsn = database_dsn(cluster, "medrec_ingest")
    insert_rate = BULK_RECORDS / baselines.raw_inserts(dsn, BULK_RECORDS, GROUP)
    print(f"bulk ingest: {BULK_RECORDS} x 10 KB in one NDJSON request …", flush=True)
    api = cluster.processes["ingest-api"].pid
    bulk_seconds, bulk_split, catalog_commits = bulk_through_catalog(cluster, client, BULK_RECORDS)
    bulk_rate = BULK_RECORDS / bulk_seconds
    bulk_cpu = sum(ms for name, ms in bulk_split.items() if name != BENCH_CLIENT)
    bulk_cpu_note = ", ".join(
        f"{name} {ms:.3f}" for name, ms in sorted(bulk_split.items(), key=lambda kv: -kv[1])
        if name != BENCH_CLIENT and ms >= 0.001
    ) + f" ms; catalog commits {catalog_commits:.3f} a record"  # fmt: skip
    print(f"single PUTs: {SINGLE_RECORDS} x 10 KB, {CONCURRENCY} at a time …", flush=True)
    with cpu_split(cluster, SINGLE_RECORDS, "single PUT") as split, profiled(api, PYSPY):
        single_rate = SINGLE_RECORDS / single_puts(client, SINGLE_RECORDS, CONCURRENCY)
    single_cpu = split["ingest-api"] / 1000
    raw_puts.append(raw_put_rate())
    raw_put = max(raw_puts)
    deposits = [
        Result("bulk_ndjson_10k", f"bulk NDJSON, {BULK_RECORDS} x 10 KB in one request",
               bulk_rate, "rec/s", raw_put, "raw_put_10k", ratio_at_least=3.0,
               note=f"{_mb(mb_bulk / bulk_seconds):.1f} MB/s, until the answer; catalog's "
                    "worker running"),
        Result("bulk_cpu_per_record", "CPU of the whole stack per bulk record, until catalog "
               "lists them all", bulk_cpu, "ms", at_most=0.6, note=bulk_cpu_note),
        Result("raw_put_10k", f"raw S3 PUT, 10 KB objects, {CONCURRENCY} at a time", raw_put,
               "obj/s", note="the minio client straight to the same SeaweedFS"),
        Result("raw_insert_rows", f"plain INSERTs, {GROUP} rows per transaction", insert_rate,
               "rows/s", note="asyncpg straight to the same PostgreSQL"),
        Result("single_put_10k", f"single PUT, 10 KB, {CONCURRENCY} at a time", single_rate,
               "rec/s", raw_put, "raw_put_10k", ratio_at_least=0.3,
               note=f"ingest-api CPU {single_cpu * 1000:.1f} ms a record (#32: <= 3)"),
    ]  # fmt: skip
    if ONLY == "deposits":
        return deposits

    stream_figures = streams(cluster, s3, client, idle_rss)
    print(f"raw multipart of compressible bytes (for reference): {STREAM_BYTES // MiB} MiB …")
    compressible = STREAM_BYTES / baselines.raw_multipart(s3, STREAM_BYTES, content=pattern)
    print(f"broker: {broker.EVENTS} events in batches of {broker.BATCH}, S3 and memory …")
    durable_events, memory_events = broker.rates(cluster)

    return [
        *deposits,
        *stream_figures,
        Result("raw_multipart_compressible",
               _stream_label("raw S3 multipart upload of a repeated pattern"), _mb(compressible),
               "MB/s", note="SeaweedFS gzips it: not a fair baseline for ciphertext"),
        Result("broker_events_durable", "broker events, Tansu on S3 (durable)", durable_events,
               "events/s", memory_events, "broker_events_memory"),
        Result("broker_events_memory", "broker events, Tansu in memory", memory_events,
               "events/s"),
    ]  # fmt: skip


def _stream_label(what: str) -> str:
    return f"{what}, {STREAM_BYTES // MiB} MiB"


def streams(cluster: Cluster, s3: Minio, client: Depositor, idle_rss: int) -> list[Result]:
    """The raw multipart upload and the streaming PUT, twice each, interleaved, the best of
    each counting; the CPU each process of the stack spent per GiB on each upload, printed."""
    raw_streams, stream_rates, peaks = [], [], []
    api = cluster.processes["ingest-api"].pid
    runs = 2
    for run_number in range(runs):
        print(f"raw multipart: {STREAM_BYTES // MiB} MiB …", flush=True)
        with cpu_per_gib(cluster, "raw multipart"):
            raw_streams.append(STREAM_BYTES / baselines.raw_multipart(s3, STREAM_BYTES))
        print(f"streaming ingest: {STREAM_BYTES // MiB} MiB …", flush=True)
        spy = PYSPY_STREAM if run_number == runs - 1 else ""
        with cpu_per_gib(cluster, "streaming PUT"), profiled(api, spy):
            seconds, peak = streaming(cluster, client, STREAM_BYTES, run_number)
        stream_rates.append(STREAM_BYTES / seconds)
        peaks.append(peak)
    raw_stream, stream_rate, peak = max(raw_streams), max(stream_rates), max(peaks)
    return [
        Result("stream_1g", _stream_label("streaming PUT"), _mb(stream_rate), "MB/s",
               _mb(raw_stream), "raw_multipart", ratio_at_least=0.9),
        Result("raw_multipart", _stream_label("raw S3 multipart upload"), _mb(raw_stream),
               "MB/s", note="bytes that do not compress, as ingest's ciphertext"),
        Result("stream_rss_growth", "ingest RSS growth during the streaming PUT",
               (peak - idle_rss) / 1e6, "MB", at_most=64,
               note=f"peak {peak / 1e6:.0f} MB, idle before {idle_rss / 1e6:.0f} MB"),
    ]  # fmt: skip


def main() -> list[Result]:
    with running_cluster() as cluster:
        assert cluster.infra is not None
        engines = "fsync off (BENCH_ENGINES=fast)" if cluster.fast else "durable: fsync on"
        where = f"SeaweedFS, PostgreSQL, Tansu on S3, {engines}; {os.cpu_count()} CPUs"
        print(f"local stack up: {where}; catalog and issuance workers stopped", flush=True)
        figures = run(cluster)
        if not ONLY:
            from bench import fhir  # imports this module (PeakRss)

            figures += fhir.run(cluster)
        return figures
