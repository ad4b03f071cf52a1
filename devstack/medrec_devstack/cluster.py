"""The whole cluster on one machine: the local engines, one database per service, migrations,
topics and buckets, then the four services (api and worker each) as processes."""

import asyncio
import base64
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from medrec_devstack.infra import Infra, start_infra
from medrec_devstack.processes import Process, ProcessDied, free_port, wait_until
from medrec_shared.messaging import ensure_topics

SERVICES = ("identity", "ingest", "catalog", "issuance")
DEFAULT_PORTS = {"identity": 8001, "ingest": 8002, "catalog": 8003, "issuance": 8004}
TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.issuance.v1", "medrec.audit.v1"]


def _key_spec(kek_id: str) -> str:
    return f"{kek_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


@dataclass
class Secrets:
    admin_client_id: str = "operator"
    admin_client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person_index_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    identity_field_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    ingest_content_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    issuance_content_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    service_clients: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Cluster:
    state: Path
    sandbox: bool = True
    ports: dict[str, int] = field(default_factory=dict)
    infra: Infra | None = None
    secrets: Secrets = field(default_factory=Secrets)
    processes: dict[str, Process] = field(default_factory=dict)
    log_level: str = "INFO"
    owns_infra: bool = True

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def clock_file(self) -> Path:
        """Write an RFC 3339 instant here to move every service's clock; empty is real time."""
        return self.state / "clock"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    # -- configuration ------------------------------------------------------------------------
    def env(self, service: str) -> dict[str, str]:
        assert self.infra is not None
        p = f"MEDREC_{service.upper()}_"
        s = self.secrets
        env = {
            p + "ENVIRONMENT": "local",
            p + "LOG_LEVEL": self.log_level,
            p + "API_HOST": "127.0.0.1",
            p + "API_PORT": str(self.ports[service]),
            p + "DATABASE_URL": f"{self.infra.database_url}/medrec_{service}",
            p + "KAFKA_BOOTSTRAP_SERVERS": self.infra.kafka_bootstrap,
            p + "IDENTITY_URL": self.url("identity"),
            p + "CLOCK_FILE": str(self.clock_file),
        }
        storage = {
            p + "S3_URL": self.infra.s3_url,
            p + "S3_ACCESS_KEY": self.infra.s3_access_key,
            p + "S3_SECRET_KEY": self.infra.s3_secret_key,
        }
        if service == "identity":
            env |= {
                p + "SANDBOX": str(self.sandbox).lower(),
                p + "ADMIN_CLIENT_ID": s.admin_client_id,
                p + "ADMIN_CLIENT_SECRET": s.admin_client_secret,
                p + "PERSON_INDEX_KEY": s.person_index_key,
                p + "FIELD_KEYS": s.identity_field_keys,
                p + "FIELD_KEY_ACTIVE": "kek-local-1",
            }
        elif service == "ingest":
            env |= storage | {
                p + "CONTENT_KEYS": s.ingest_content_keys,
                p + "CONTENT_KEY_ACTIVE": "kek-local-1",
                p + "PERSON_INDEX_KEY": s.person_index_key,
            }
        elif service in ("catalog", "issuance"):
            client_id, client_secret = s.service_clients.get(service, ("", ""))
            env |= {
                p + "INGEST_URL": self.url("ingest"),
                p + "CLIENT_ID": client_id,
                p + "CLIENT_SECRET": client_secret,
            }
            if service == "issuance":
                env |= storage | {
                    p + "CATALOG_URL": self.url("catalog"),
                    p + "PUBLIC_URL": self.url("issuance"),
                    p + "CONTENT_KEYS": s.issuance_content_keys,
                    p + "CONTENT_KEY_ACTIVE": "kek-local-1",
                    p + "PERSON_INDEX_KEY": s.person_index_key,
                    # Every test and demo client comes from 127.0.0.1.
                    p + "VERIFY_LIMIT_PER_CLIENT": "100000",
                }
        return env

    def _bin(self, name: str) -> str:
        return str(Path(sys.executable).parent / name)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, *, fixed_ports: bool = False) -> "Cluster":
        self.state.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            self.ports.setdefault(service, DEFAULT_PORTS[service] if fixed_ports else free_port())
        try:
            if self.infra is None:
                self.infra = start_infra(self.state)
            else:
                self.owns_infra = False
            asyncio.run(self._prepare_engines())
            for service in SERVICES:
                self._run(f"medrec-{service}-migrate", service)
            self.start_process("identity", "api")
            self.wait_ready("identity")
            asyncio.run(self._register_service_clients())
            for service in SERVICES:
                if service != "identity":
                    self.start_process(service, "api")
                self.start_process(service, "worker")
            for service in SERVICES:
                self.wait_ready(service)
        except BaseException:
            self.stop()
            raise
        return self

    async def _prepare_engines(self) -> None:
        assert self.infra is not None
        server = self.infra.database_url.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            existing = {r[0] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for service in SERVICES:
                if f"medrec_{service}" not in existing:
                    await conn.execute(f'CREATE DATABASE "medrec_{service}"')
        finally:
            await conn.close()
        await ensure_topics(self.infra.kafka_bootstrap, TOPICS)

    async def _register_service_clients(self) -> None:
        async with httpx.AsyncClient(base_url=self.url("identity"), timeout=30) as http:
            token = await operator_token(http, self.secrets)
            wanted = {"catalog": ["metadata:read"], "issuance": ["content:read", "catalog:read"]}
            for service, scopes in wanted.items():
                response = await http.post(
                    "/v1/clients",
                    json={"name": f"medrec-{service}", "institution_codes": [], "scopes": scopes},
                    headers={"Authorization": f"Bearer {token}"},
                )
                response.raise_for_status()
                body = response.json()
                self.secrets.service_clients[service] = (body["client_id"], body["client_secret"])

    def _run(self, command: str, service: str) -> None:
        process = Process(
            f"{service}-migrate",
            [self._bin(command)],
            self.logs / f"{service}-migrate.log",
            env=self.env(service),
        ).start()
        if process.wait(120) != 0:
            raise RuntimeError(f"{command} failed; see {process.log_path}")

    def start_process(
        self, service: str, role: str, extra_env: dict[str, str] | None = None
    ) -> Process:
        name = f"{service}-{role}"
        process = Process(
            name,
            [self._bin(f"medrec-{service}-{role}")],
            self.logs / f"{name}.log",
            env={**self.env(service), **(extra_env or {})},
        ).start()
        self.processes[name] = process
        return process

    def stop_process(self, service: str, role: str) -> int | None:
        process = self.processes.pop(f"{service}-{role}", None)
        return process.stop() if process else None

    def wait_ready(self, service: str, timeout: float = 60) -> None:
        def ready() -> bool:
            api = self.processes.get(f"{service}-api")
            if api is not None and not api.alive():
                raise ProcessDied(f"{service} api exited; see {api.log_path}")
            return httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200

        wait_until(ready, timeout=timeout, what=f"{service} /readyz", interval=0.2)

    def stop(self) -> None:
        for name in list(self.processes)[::-1]:
            self.processes.pop(name).stop()
        if self.infra is not None and self.owns_infra:
            self.infra.stop()
            self.infra = None

    def client_token(self, client_id: str, client_secret: str) -> str:
        """A client-credentials token from this cluster's identity."""
        response = httpx.post(
            f"{self.url('identity')}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, client_secret),
            timeout=30,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def remove_state(self) -> None:
        shutil.rmtree(self.state, ignore_errors=True)


async def operator_token(http: httpx.AsyncClient, secrets_: Secrets) -> str:
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(secrets_.admin_client_id, secrets_.admin_client_secret),
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
