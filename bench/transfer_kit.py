"""`medrec-transfer push` of one large file: the command's peak resident memory (it must stay
under 100 MB whatever the file's size: content is hashed and streamed in 1 MiB chunks) and its
throughput, on a fresh local stack.

    .venv/bin/python -m bench.transfer_kit [GiB]      # default 1
"""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench.stack import MiB, running_cluster
from medrec_transfer.digest import file_sha256
from medrec_transfer.sample import write_export

COMMAND = str(Path(sys.executable).parent / "medrec-transfer")


def main(gib: float = 1.0) -> None:
    size = int(gib * 1024 * MiB)
    with running_cluster() as cluster, tempfile.TemporaryDirectory(prefix="medrec-kit-") as tmp:
        code = "79000001"
        operator = cluster.client_token(
            cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret
        )
        client = httpx.post(
            f"{cluster.url('identity')}/v1/clients",
            json={"name": "bench EMR", "institution_codes": [code], "scopes": ["transfer:write"]},
            headers={"Authorization": f"Bearer {operator}"},
            timeout=30,
        ).json()
        institution = {"code": code, "name": "벤치마크의원", "type": "의원",
                       "address": "서울특별시 중구 세종대로 110", "region": "서울"}  # fmt: skip
        root = write_export(Path(tmp), records=0, file_sizes=[size], institution=institution)
        args = [
            COMMAND, "push", str(root), "--complete",
            "--identity-url", cluster.url("identity"), "--ingest-url", cluster.url("ingest"),
            "--client-id", client["client_id"], "--client-secret", client["client_secret"],
        ]  # fmt: skip
        big = next((root / "files").glob("ct-*.dcm"))
        hashing = time.monotonic()
        file_sha256(big)  # what the push does first, timed apart (and the file is in cache)
        hashing = time.monotonic() - hashing
        started = time.monotonic()
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        peak = 0
        cpu = 0.0
        while process.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
                times = watched.cpu_times()
                cpu = times.user + times.system
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        output = process.stdout.read().decode() if process.stdout else ""
        if process.returncode != 0:
            raise SystemExit(f"push failed ({process.returncode}):\n{output}")
        print(f"medrec-transfer push of a {gib:g} GiB file (plus 3 small records)")
        print(f"  peak RSS of the command: {peak / 1e6:.1f} MB (sampled every 20 ms)")
        print(
            f"  {elapsed:.1f} s in all (hashing, then streaming): {size / elapsed / 1e6:.1f} MB/s"
        )
        print(
            f"  of which hashing the file alone takes {hashing:.1f} s: streaming "
            f"≈ {size / max(elapsed - hashing, 1e-3) / 1e6:.1f} MB/s"
        )
        print(f"  the command's CPU time: {cpu:.1f} s")
        print("  " + output.strip().splitlines()[-1])


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)
