"""`make bench`: ingest's bulk, single-PUT and streaming paths, and the ingest process's peak
RSS during a 1 GiB upload, each beside its raw baseline measured in the same run on the same S3
server (the local stack's SeaweedFS) and database; and what the durable broker costs."""

import base64
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from bench import baselines, broker
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
CONCURRENCY = IngestSettings.model_fields["upload_concurrency"].default
GROUP = IngestSettings.model_fields["batch_group_records"].default


@dataclass
class Figure:
    path: str
    value: str
    baseline: str
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None


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


def run(cluster: Cluster) -> list[Figure]:
    s3 = minio_client(cluster)
    client = Depositor(cluster, "89999999")
    mb_bulk = BULK_RECORDS * RECORD_SIZE

    idle_rss = psutil.Process(cluster.processes["ingest-api"].pid).memory_info().rss

    # Load on a shared machine drifts: each raw baseline runs before and after the path it is
    # compared with, and the faster run counts (the ratio errs against ingest).
    def raw_put_rate() -> float:
        print(f"raw S3 puts: {BULK_RECORDS} x 10 KB, {CONCURRENCY} at a time …", flush=True)
        return BULK_RECORDS / baselines.raw_puts(s3, BULK_RECORDS, CONCURRENCY)

    def raw_stream_rate() -> float:
        print(f"raw multipart: {STREAM_BYTES // MiB} MiB …", flush=True)
        return STREAM_BYTES / baselines.raw_multipart(s3, STREAM_BYTES)

    raw_puts = [raw_put_rate()]
    print(f"plain INSERTs: {BULK_RECORDS} rows, {GROUP} per transaction …", flush=True)
    dsn = database_dsn(cluster, "medrec_ingest")
    insert_rate = BULK_RECORDS / baselines.raw_inserts(dsn, BULK_RECORDS, GROUP)
    print(f"bulk ingest: {BULK_RECORDS} x 10 KB in one NDJSON request …", flush=True)
    bulk_seconds = bulk(client, BULK_RECORDS)
    bulk_rate = BULK_RECORDS / bulk_seconds
    print(f"single PUTs: {SINGLE_RECORDS} x 10 KB, {CONCURRENCY} at a time …", flush=True)
    single_rate = SINGLE_RECORDS / single_puts(client, SINGLE_RECORDS, CONCURRENCY)
    raw_puts.append(raw_put_rate())
    raw_put = max(raw_puts)

    raw_streams, stream_rates, peaks = [], [], []
    for run_number in range(2):  # interleaved, the best of each
        raw_streams.append(raw_stream_rate())
        print(f"streaming ingest: {STREAM_BYTES // MiB} MiB …", flush=True)
        seconds, peak = streaming(cluster, client, STREAM_BYTES, run_number)
        stream_rates.append(STREAM_BYTES / seconds)
        peaks.append(peak)
    raw_stream, stream_rate, peak = max(raw_streams), max(stream_rates), max(peaks)
    print(f"broker: {broker.EVENTS} events in batches of {broker.BATCH}, S3 and memory …")
    durable_events, memory_events = broker.rates(cluster)

    return [
        Figure("bulk NDJSON, 10 KB records",
               f"{bulk_rate:,.0f} rec/s  {_mb(mb_bulk / bulk_seconds):.1f} MB/s",
               f"raw S3 put {raw_put:,.0f} obj/s  {_mb(raw_put * RECORD_SIZE):.1f} MB/s",
               bulk_rate / raw_put, ">= 0.5", bulk_rate / raw_put >= 0.5),
        Figure("  (same, against the DB)", "",
               f"plain INSERT {insert_rate:,.0f} rows/s", bulk_rate / insert_rate),
        Figure(f"single PUT, 10 KB, {CONCURRENCY} at a time", f"{single_rate:,.0f} rec/s",
               f"raw S3 put {raw_put:,.0f} obj/s", single_rate / raw_put),
        Figure(f"streaming PUT, {STREAM_BYTES // MiB} MiB", f"{_mb(stream_rate):.1f} MB/s",
               f"raw multipart {_mb(raw_stream):.1f} MB/s",
               stream_rate / raw_stream, ">= 0.5", stream_rate / raw_stream >= 0.5),
        Figure("  ingest peak RSS during it", f"{peak / 1e6:.0f} MB",
               f"(idle before: {idle_rss / 1e6:.0f} MB)", None, "< 200 MB", peak < 200e6),
        Figure("broker events, Tansu on S3 (durable)", f"{durable_events:,.0f} events/s",
               f"Tansu in memory {memory_events:,.0f} events/s", durable_events / memory_events),
    ]  # fmt: skip


def table(figures: list[Figure]) -> str:
    head = ("path", "ingest", "raw baseline", "ratio", "target", "")
    rows = [
        (f.path, f.value, f.baseline, "" if f.ratio is None else f"{f.ratio:.2f}", f.target,
         "" if f.ok is None else ("ok" if f.ok else "MISSED"))
        for f in figures
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in [head, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main() -> None:
    started = time.perf_counter()
    with running_cluster() as cluster:
        assert cluster.infra is not None
        engines = "fsync off (BENCH_ENGINES=fast)" if cluster.fast else "durable: fsync on"
        where = f"SeaweedFS, PostgreSQL, Tansu on S3, {engines}; {os.cpu_count()} CPUs"
        print(f"local stack up: {where}; catalog and issuance workers stopped", flush=True)
        figures = run(cluster)
    print()
    print("medrec ingest benchmark — one run, one S3 server, one database")
    print(table(figures))
    print(
        f"\n(took {time.perf_counter() - started:.0f} s. Ratio = ingest / raw baseline. The raw "
        "puts ran before and after the bulk and single-PUT paths, the raw and ingest streams "
        "twice each, interleaved; the faster run of each is shown, the highest RSS. Ingest "
        "figures are end to end through HTTP: authentication, validation, encryption, the "
        "database and the outbox included.)"
    )
