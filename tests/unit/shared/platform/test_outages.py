"""A dependency that is away is answered 503 with Retry-After, a problem of type `unavailable`
whose detail names no host; a fault is still a 500. The failures are real ones: a database and
an object store on a port where nothing listens."""

import socket

import urllib3
from fastapi import FastAPI
from fastapi.testclient import TestClient
from minio import Minio
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from medrec_shared.platform.db import Database
from medrec_shared.platform.outages import unavailable_dependency
from medrec_shared.platform.problems import install_problem_handlers
from medrec_shared.platform.storage import ObjectStore


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when this returns: nothing listens


def app() -> FastAPI:
    made = FastAPI()
    install_problem_handlers(made)
    port = closed_port()

    @made.get("/database")
    async def database() -> None:
        db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/nothing", pool_size=1)
        try:
            async with db.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await db.dispose()

    @made.get("/storage")
    async def storage() -> None:
        client = Minio(
            f"127.0.0.1:{port}", access_key="a", secret_key="b", secure=False,
            http_client=urllib3.PoolManager(retries=False),
        )  # fmt: skip
        client.bucket_exists("anything")

    @made.get("/small-put")
    async def small_put() -> None:  # on the loop, not minio's (platform.s3put)
        store = ObjectStore(f"127.0.0.1:{port}", "a", "b")
        try:
            await store.put_bytes("bucket", "key", b"content")
        finally:
            await store.aclose()

    @made.get("/fault")
    async def fault() -> None:
        raise IntegrityError("INSERT …", {}, Exception("duplicate key"))

    return made


def test_a_database_or_a_store_away_is_a_503_with_retry_after() -> None:
    client = TestClient(app(), raise_server_exceptions=False)
    for path in ("/database", "/storage", "/small-put"):
        response = client.get(path)
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        body = response.json()
        assert body["type"] == "https://medrec.example/problems/unavailable"
        assert "127.0.0.1" not in body["detail"]


def test_a_fault_is_still_a_500() -> None:
    response = TestClient(app(), raise_server_exceptions=False).get("/fault")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def test_what_a_failure_is_raised_from_is_looked_at_not_what_it_was_handling() -> None:
    try:
        try:
            raise ConnectionRefusedError
        except ConnectionRefusedError:
            raise ValueError("a bug in an except block") from None
    except ValueError as bug:
        assert unavailable_dependency(bug) is None
    try:
        raise RuntimeError("wrapped") from urllib3.exceptions.NewConnectionError(None, "refused")  # type: ignore[arg-type]
    except RuntimeError as wrapped:
        assert unavailable_dependency(wrapped) == "storage"
