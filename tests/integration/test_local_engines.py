"""The local stack's engines as an attacker on the machine's network would see them: the object
store answers only signed requests, and no engine listens beyond loopback."""

import io
import uuid

import httpx
import psutil
import pytest
from minio import Minio
from minio.error import S3Error

from medrec_devstack.infra import Infra


@pytest.fixture(scope="module")
def bucket(infra: Infra) -> str:
    name = f"test-{uuid.uuid4().hex[:12]}"
    client = Minio(
        infra.s3_url.removeprefix("http://"),
        access_key=infra.s3_access_key,
        secret_key=infra.s3_secret_key,
        secure=False,
    )
    client.make_bucket(name)
    client.put_object(name, "kept", io.BytesIO(b"ciphertext"), 10)
    return name


def test_the_object_store_refuses_unsigned_requests(infra: Infra, bucket: str) -> None:
    anonymous = httpx.Client(base_url=infra.s3_url)
    assert anonymous.get("/").status_code == 403  # list the buckets
    assert anonymous.get(f"/{bucket}/kept").status_code == 403
    assert anonymous.get(f"/{bucket}?list-type=2").status_code == 403
    assert anonymous.put(f"/{bucket}/planted", content=b"x").status_code == 403
    assert anonymous.delete(f"/{bucket}/kept").status_code == 403

    signed = Minio(
        infra.s3_url.removeprefix("http://"),
        access_key=infra.s3_access_key,
        secret_key=infra.s3_secret_key,
        secure=False,
    )
    assert signed.get_object(bucket, "kept").read() == b"ciphertext"
    with pytest.raises(S3Error):
        signed.stat_object(bucket, "planted")


def test_a_wrong_secret_is_refused(infra: Infra, bucket: str) -> None:
    wrong = Minio(
        infra.s3_url.removeprefix("http://"),
        access_key=infra.s3_access_key,
        secret_key="not-the-secret",
        secure=False,
    )
    with pytest.raises(S3Error) as refused:
        wrong.get_object(bucket, "kept")
    assert refused.value.code in {"SignatureDoesNotMatch", "AccessDenied"}


def test_every_engine_listens_on_loopback_only(infra: Infra) -> None:
    listening: dict[str, set[str]] = {}
    for engine in infra.processes:
        assert engine.pid is not None
        root = psutil.Process(engine.pid)
        for process in [root, *root.children(recursive=True)]:
            for connection in process.net_connections(kind="inet"):
                if connection.status == psutil.CONN_LISTEN:
                    listening.setdefault(engine.name, set()).add(connection.laddr.ip)
    assert set(listening) == {"postgres", "objectstore", "broker"}
    assert all(ips == {"127.0.0.1"} for ips in listening.values()), listening
