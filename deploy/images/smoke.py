"""Smoke test of a built image (`make image-smoke`, opt-in: it needs the images of `make images`).

Starts the local stack's engines (embedded PostgreSQL, the Tansu broker, SeaweedFS; or the
servers MEDREC_STACK_* point at), then runs the image with buildah, the way a pod runs it: first
`medrec-<service>-migrate`, then `medrec-<service>-api` and `medrec-<service>-worker`, with the
environment the prod overlay gives the pod (its ConfigMap and env; strong stand-ins for the
Secrets; the local engines' addresses instead of the cluster's). It expects 200 from /readyz
(database, broker and, for ingest and issuance, storage reachable) and the worker still running
after WORKER_SECONDS.

    .venv/bin/python deploy/images/smoke.py [SERVICE ...]     default: ingest

Environment: IMAGE_PREFIX (localhost/medrec-), TAG (the service's version), STORAGE_DRIVER (vfs).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from medrec_devstack.infra import Infra, start_infra
from medrec_devstack.processes import Process, free_port, wait_until
from medrec_shared.platform.messaging import ensure_topics

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy" / "tools"))
import k8s_check  # noqa: E402 - deploy/tools is no package

SERVICES = ("identity", "ingest", "catalog", "issuance")
WORKER_SECONDS = 10
TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.issuance.v1", "medrec.audit.v1"]


def image_of(service: str) -> str:
    prefix = os.environ.get("IMAGE_PREFIX", "localhost/medrec-")
    tag = os.environ.get("TAG") or re.search(
        r'^version = "([^"]+)"',
        (REPO / "services" / service / "pyproject.toml").read_text(),
        re.M,
    ).group(1)  # type: ignore[union-attr]
    return f"{prefix}{service}:{tag}"


def service_env(service: str, infra: Infra, port: int) -> dict[str, str]:
    """The api container's environment as the prod overlay renders it (ConfigMap, env, strong
    stand-ins for the Secrets), pointed at the local engines instead of the cluster's."""
    objects = k8s_check.render(REPO / "deploy" / "k8s" / "overlays" / "prod")
    rendered = k8s_check.Rendered(objects)
    api = rendered.named("Deployment", f"medrec-{service}-api")
    assert api is not None
    env = k8s_check.container_env(
        rendered, api["spec"]["template"]["spec"]["containers"][0], service
    )
    p = f"MEDREC_{service.upper()}_"
    env.pop("SSL_CERT_FILE", None)  # the cluster's MinIO CA; the local S3 server is plain HTTP
    # The cluster's Kafka is TLS with SCRAM (components/kafka-authz); the local broker is plain.
    for name in ("SECURITY_PROTOCOL", "SASL_MECHANISM", "USERNAME", "PASSWORD", "CA_FILE"):
        env.pop(f"{p}KAFKA_{name}", None)
    env |= {
        # 0.0.0.0 in a pod; here the container shares the host's network: loopback only.
        p + "API_HOST": "127.0.0.1",
        p + "API_PORT": str(port),
        p + "DATABASE_URL": f"{infra.database_url}/medrec_{service}",
        p + "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
    }
    for name in ("IDENTITY_URL", "INGEST_URL", "CATALOG_URL"):
        if p + name in env:
            env[p + name] = "http://127.0.0.1:9"  # other services: not needed for /readyz
    if p + "S3_URL" in env:
        env |= {
            p + "S3_URL": infra.s3_url,
            p + "S3_ACCESS_KEY": infra.s3_access_key,
            p + "S3_SECRET_KEY": infra.s3_secret_key,
        }
    return env


async def prepare(infra: Infra, service: str) -> None:
    server = infra.database_url.replace("postgresql+asyncpg", "postgresql")
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        names = {r[0] for r in await conn.fetch("SELECT datname FROM pg_database")}
        if f"medrec_{service}" not in names:
            await conn.execute(f'CREATE DATABASE "medrec_{service}"')
    finally:
        await conn.close()
    await ensure_topics(infra.kafka_bootstrap, TOPICS)


class Container:
    """A working container of the image, run with buildah (no container engine needed)."""

    def __init__(self, image: str) -> None:
        self.driver = os.environ.get("STORAGE_DRIVER", "vfs")
        self.buildah = ["buildah", "--storage-driver", self.driver]
        self.name = subprocess.run(  # noqa: S603 - our own arguments
            [*self.buildah, "from", "--pull-never", image],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    def argv(self, env: dict[str, str], command: str) -> list[str]:
        flags = [f"--env={k}={v}" for k, v in env.items()]
        return [
            *self.buildah, "run", "--isolation", "chroot", "--network", "host",
            *flags, self.name, "--", command,
        ]  # fmt: skip

    def remove(self) -> None:
        subprocess.run([*self.buildah, "rm", self.name], capture_output=True)  # noqa: S603


def smoke(service: str, infra: Infra, logs: Path) -> tuple[bool, str]:
    image = image_of(service)
    started = time.monotonic()
    asyncio.run(prepare(infra, service))
    port = free_port()
    env = service_env(service, infra, port)
    container = Container(image)
    api: Process | None = None
    try:
        migrate = Process(
            f"{service}-migrate",
            container.argv(env, f"medrec-{service}-migrate"),
            logs / f"{service}-migrate.log",
        ).start()
        assert migrate.popen is not None
        if migrate.popen.wait(180) != 0:
            return False, f"medrec-{service}-migrate failed:\n{tail(migrate.log_path)}"
        api = Process(
            f"{service}-api", container.argv(env, f"medrec-{service}-api"), logs / "api.log"
        ).start()
        body = ""

        def ready() -> bool:
            nonlocal body
            if not api.alive():
                raise RuntimeError("the api exited")
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            body = response.text
            return response.status_code == 200

        try:
            wait_until(ready, timeout=90, what=f"{service} /readyz", interval=0.5)
        except (TimeoutError, RuntimeError) as exc:
            return False, f"{exc}; last /readyz: {body or '-'}\n{tail(api.log_path)}"
        # The worker from the same image: up and still running after WORKER_SECONDS. (The local
        # broker refuses idempotent producers, which the prod ConfigMap turns on.)
        worker_env = env | {f"MEDREC_{service.upper()}_KAFKA_IDEMPOTENCE": "false"}
        worker = Process(
            f"{service}-worker",
            container.argv(worker_env, f"medrec-{service}-worker"),
            logs / "worker.log",
        ).start()
        time.sleep(WORKER_SECONDS)
        alive = worker.alive()
        worker.stop()
        if not alive:
            return False, f"medrec-{service}-worker exited:\n{tail(worker.log_path)}"
        elapsed = time.monotonic() - started
        return True, (
            f"{image}: migrate ok, GET /readyz -> 200 {body}, worker up {WORKER_SECONDS} s "
            f"({elapsed:.1f} s)"
        )
    finally:
        if api is not None:
            api.stop()
        container.remove()


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    services = argv or ["ingest"]
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        print(f"image-smoke: unknown service(s) {unknown}; choose from {SERVICES}")
        return 2
    if shutil.which("buildah") is None:
        print("image-smoke: buildah is missing (make images installs it)")
        return 2
    state = Path(tempfile.mkdtemp(prefix="medrec-image-smoke-"))
    infra = start_infra(state / "infra", fast=True)  # a throwaway stack
    failed = 0
    try:
        for service in services:
            ok, message = smoke(service, infra, state / "logs" / service)
            print(f"image-smoke {'OK' if ok else 'FAILED'} {service}: {message}")
            failed += not ok
    finally:
        infra.stop()
        if not failed:
            shutil.rmtree(state, ignore_errors=True)
        else:
            print(f"image-smoke: logs kept in {state}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
