"""The whole cluster on one machine: the local engines, one database per service, migrations,
topics and buckets, then the four services (api and worker each, `replicas` of each) as
processes, and the two front doors (the citizens' portal, the staff's console: one each).

Replicas: the first of each is named "{service}-{role}", the others "{service}-{role}-{n}" (n
from 2). A service's API replicas share its one port (SO_REUSEPORT: the kernel spreads the
connections); its workers share its consumer group, outbox relay and schedule
(medrec_shared.platform.schedule). Each replica has a metrics port of its own."""

import asyncio
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import asyncpg
import httpx

from medrec_devstack.datadir import DataDir, LauncherError, read_json, write_private
from medrec_devstack.infra import Infra, start_infra
from medrec_devstack.processes import (
    Process,
    ProcessDied,
    free_port,
    port_open,
    stop_all,
    wait_until,
)
from medrec_shared.platform.messaging import ensure_topics

SERVICES = ("identity", "ingest", "catalog", "issuance")
# The citizens' portal (issue #13, portal/): one process (no worker), with its own database.
PORTAL = "portal"
# The staff's console (issue #27, console/): one process, with its own database, as the portal.
CONSOLE = "console"
FRONT_DOORS = (PORTAL, CONSOLE)
DEFAULT_PORTS = {
    "portal": 8000,
    "identity": 8001,
    "ingest": 8002,
    "catalog": 8003,
    "issuance": 8004,
    "console": 8005,
}
# The portal is served on port 8000 of the machine the stack runs on: the one browser origin the
# local APIs answer across origins (CORS).
PORTAL_ORIGIN = "http://localhost:8000"
TOPICS = ["medrec.transfer.v1", "medrec.record.v1", "medrec.issuance.v1", "medrec.audit.v1"]


def _key_spec(kek_id: str) -> str:
    return f"{kek_id}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


SECRETS_FILE = "secrets.json"
OPERATOR_ENV = ("MEDREC_IDENTITY_ADMIN_CLIENT_ID", "MEDREC_IDENTITY_ADMIN_CLIENT_SECRET")


@dataclass
class Secrets:
    """What the stack's services share, made on the first start and kept in the data directory
    (mode 0600): a later start with other keys could read none of the data."""

    admin_client_id: str = "operator"
    admin_client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    person_index_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    identity_field_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    ingest_content_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    issuance_content_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    service_clients: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The portal's: the key sealing its sessions' tokens, and its CSRF tokens' HMAC key.
    portal_session_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    portal_csrf_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The console's, likewise its own.
    console_session_keys: str = field(default_factory=lambda: _key_spec("kek-local-1"))
    console_csrf_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # The platform staff account made on the first start (its login; the password was shown
    # once then, and is never written down).
    platform_staff_login: str = ""
    operator_configured: bool = False  # the operator's id and secret came from the environment

    @classmethod
    def kept_in(cls, state: Path) -> "Secrets":
        """The directory's secrets (made and saved when it has none), with the operator client
        of MEDREC_IDENTITY_ADMIN_CLIENT_ID and _SECRET when both are set; those are never
        written down."""
        kept = read_json(state / SECRETS_FILE)
        if kept is None:
            made = cls()
            data = asdict(made)
            del data["operator_configured"]
            write_private(state / SECRETS_FILE, data)
        else:
            clients = {k: (v[0], v[1]) for k, v in kept.pop("service_clients", {}).items()}
            made = cls(**kept, service_clients=clients)
            front_door_keys = {
                "portal_session_keys",
                "portal_csrf_key",
                "console_session_keys",
                "console_csrf_key",
            }
            if missing := front_door_keys - set(kept):
                # A directory made before a front door: its keys are made once, and kept.
                data = {**kept, "service_clients": clients}
                data |= {name: getattr(made, name) for name in missing}
                write_private(state / SECRETS_FILE, data)
        configured_id, configured_secret = (os.environ.get(name, "") for name in OPERATOR_ENV)
        if configured_id and configured_secret:
            made.admin_client_id, made.admin_client_secret = configured_id, configured_secret
            made.operator_configured = True
        return made

    def keep_service_clients(self, state: Path) -> None:
        kept = read_json(state / SECRETS_FILE)
        kept["service_clients"] = self.service_clients
        write_private(state / SECRETS_FILE, kept)

    def keep_platform_staff(self, state: Path) -> None:
        kept = read_json(state / SECRETS_FILE)
        kept["platform_staff_login"] = self.platform_staff_login
        write_private(state / SECRETS_FILE, kept)


RUNNING_FILE = "running.json"
PLATFORM_STAFF = {"login": "platform", "name": "플랫폼 운영자", "organisation": "khis"}


@dataclass(frozen=True)
class StaffCredentials:
    """A staff account as `medrec-identity staff create` prints it, once."""

    login: str
    password: str
    totp_uri: str

    @classmethod
    def parse(cls, printed: str) -> "StaffCredentials":
        """From the command's output (its last line; log lines may come before it)."""
        line = printed.strip().splitlines()[-1]
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        return cls(fields["login"], fields["password"], fields["totp"])

    def line(self) -> str:
        return f"login={self.login} password={self.password} totp={self.totp_uri}"


@dataclass
class Cluster:
    state: Path
    sandbox: bool = True
    ports: dict[str, int] = field(default_factory=dict)
    # Each process's /metrics port ("identity-api", "catalog-worker", "catalog-worker-2": port),
    # a free one picked when the process first starts and kept across its restarts. Not in
    # `env()`: a second process started from those settings (a test's) would fight the first.
    metrics_ports: dict[str, int] = field(default_factory=dict)
    # API processes and workers of each service (the portal and the console stay one each).
    replicas: int = 1
    infra: Infra | None = None
    processes: dict[str, Process] = field(default_factory=dict)
    log_level: str = "INFO"
    owns_infra: bool = True
    fast: bool = False  # engines without fsync: for throwaway test stacks (see start_infra)
    # False: the four services only, no portal nor console (nor their migrations), for a test
    # that restarts the stack many times and uses only the APIs (their ports are still kept).
    front_doors: bool = True
    # False: no migrations on start, for a restart of a stack this same code migrated already
    # (a test's, restarted many times; a migration run costs seconds of start-up per service).
    migrate: bool = True
    kept: Secrets | None = field(default=None, repr=False)
    # The platform staff account this start made (None: it existed already); shown once.
    new_platform_staff: StaffCredentials | None = field(default=None, repr=False)

    @property
    def secrets(self) -> Secrets:
        if self.kept is None:
            raise RuntimeError("the cluster's secrets are read when it starts")
        return self.kept

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def metrics_url(self, service: str, replica: int = 1) -> str:
        """The API's Prometheus endpoint (the API's own port serves no /metrics)."""
        port = self.metrics_ports[process_name(service, "api", replica)]
        return f"http://127.0.0.1:{port}/metrics"

    def worker_metrics_url(self, service: str, replica: int = 1) -> str:
        """The worker's Prometheus endpoint; its /healthz is beside it."""
        port = self.metrics_ports[process_name(service, "worker", replica)]
        return f"http://127.0.0.1:{port}/metrics"

    def _metrics_env(self, service: str, role: str = "api", replica: int = 1) -> dict[str, str]:
        port = self.metrics_ports.setdefault(process_name(service, role, replica), free_port())
        return {f"MEDREC_{service.upper()}_{role.upper()}_METRICS_PORT": str(port)}

    @property
    def clock_file(self) -> Path:
        """Write an RFC 3339 instant here to move every service's clock; empty is real time."""
        return self.state / "clock"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    # -- configuration ------------------------------------------------------------------------
    def env(self, service: str, role: str = "api") -> dict[str, str]:
        """`service`'s settings for `role` (api, worker, migrate). Only the worker is told where
        the broker is: the APIs and migrations run without Kafka, as in Kubernetes, where
        their pods hold no broker credentials."""
        assert self.infra is not None
        if service == PORTAL:
            return self.portal_env()
        if service == CONSOLE:
            return self.console_env()
        p = f"MEDREC_{service.upper()}_"
        s = self.secrets
        env = {
            p + "ENVIRONMENT": "local",
            p + "LOG_LEVEL": self.log_level,
            p + "API_HOST": "127.0.0.1",
            p + "API_PORT": str(self.ports[service]),
            p + "DATABASE_URL": f"{self.infra.database_url}/medrec_{service}",
            p + "IDENTITY_URL": self.url("identity"),
            p + "CLOCK_FILE": str(self.clock_file),
            p + "CORS_ALLOWED_ORIGINS": PORTAL_ORIGIN,
        }
        if role == "worker":
            env[p + "KAFKA_BOOTSTRAP_SERVERS"] = self.infra.kafka_bootstrap
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
                p + "ISSUANCE_URL": self.url("issuance"),
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
                    # Every copy's QR code opens the portal's 진위확인 page.
                    p + "VERIFY_PAGE_URL": f"{self.url(PORTAL)}/verify",
                    # A share's link (제출) opens the portal's share page.
                    p + "SHARE_PAGE_URL": f"{self.url(PORTAL)}/share",
                    p + "CONTENT_KEYS": s.issuance_content_keys,
                    p + "CONTENT_KEY_ACTIVE": "kek-local-1",
                    p + "PERSON_INDEX_KEY": s.person_index_key,
                    # Every test and demo client comes from 127.0.0.1.
                    p + "VERIFY_LIMIT_PER_CLIENT": "100000",
                    p + "SHARE_CODE_LIMIT_PER_CLIENT": "100000",
                }
        return env

    def portal_env(self) -> dict[str, str]:
        """The portal's settings: its database, the three APIs, its keys; the cookie without
        Secure, since the local stack serves plain http on this machine."""
        assert self.infra is not None
        p = "MEDREC_PORTAL_"
        return {
            p + "ENVIRONMENT": "local",
            p + "LOG_LEVEL": self.log_level,
            p + "API_HOST": "127.0.0.1",
            p + "API_PORT": str(self.ports[PORTAL]),
            p + "DATABASE_URL": f"{self.infra.database_url}/medrec_{PORTAL}",
            p + "IDENTITY_URL": self.url("identity"),
            p + "CATALOG_URL": self.url("catalog"),
            p + "ISSUANCE_URL": self.url("issuance"),
            p + "SESSION_KEYS": self.secrets.portal_session_keys,
            p + "SESSION_KEY_ACTIVE": "kek-local-1",
            p + "CSRF_KEY": self.secrets.portal_csrf_key,
            p + "COOKIE_SECURE": "false",
            p + "CLOCK_FILE": str(self.clock_file),
        }

    def console_env(self) -> dict[str, str]:
        """The console's settings: its database, the four APIs, its keys; the cookie without
        Secure, since the local stack serves plain http on this machine."""
        assert self.infra is not None
        p = "MEDREC_CONSOLE_"
        return {
            p + "ENVIRONMENT": "local",
            p + "LOG_LEVEL": self.log_level,
            p + "API_HOST": "127.0.0.1",
            p + "API_PORT": str(self.ports[CONSOLE]),
            p + "DATABASE_URL": f"{self.infra.database_url}/medrec_{CONSOLE}",
            p + "IDENTITY_URL": self.url("identity"),
            p + "INGEST_URL": self.url("ingest"),
            p + "CATALOG_URL": self.url("catalog"),
            p + "ISSUANCE_URL": self.url("issuance"),
            p + "SESSION_KEYS": self.secrets.console_session_keys,
            p + "SESSION_KEY_ACTIVE": "kek-local-1",
            p + "CSRF_KEY": self.secrets.console_csrf_key,
            p + "COOKIE_SECURE": "false",
            p + "CLOCK_FILE": str(self.clock_file),
        }

    def _bin(self, name: str) -> str:
        return str(Path(sys.executable).parent / name)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, *, fixed_ports: bool = False) -> "Cluster":
        """Starts on the data directory `state`, or carries on with what it holds: the same
        databases (only new migrations run), secrets, keys and service clients."""
        for service in (*SERVICES, *FRONT_DOORS):
            self.ports.setdefault(service, DEFAULT_PORTS[service] if fixed_ports else free_port())
        if fixed_ports:
            _refuse_ports_in_use(self.ports)
        try:
            if self.infra is None:
                self.infra = start_infra(DataDir(self.state), fast=self.fast)
            else:
                self.owns_infra = False
                DataDir(self.state).open()
            self.kept = Secrets.kept_in(self.state)
            asyncio.run(self._prepare_engines())
            if self.migrate:
                self._migrate()
            self.start_process("identity", "api")
            # With the service clients of an earlier start, the other processes start alongside
            # identity's rather than after it (a process takes seconds to start); a kept client
            # found no longer valid is provisioned again, and its service restarted with it.
            kept_clients = dict(self.secrets.service_clients)
            early = {"catalog", "issuance"} <= set(kept_clients)
            if early:
                self._start_services()
            self.wait_ready("identity")
            asyncio.run(self._register_service_clients())
            if not early:
                self._start_services()
            for service, client in self.secrets.service_clients.items():
                if early and kept_clients.get(service) != client:
                    for role in ("api", "worker"):
                        for replica in range(1, self.replicas + 1):
                            self.stop_process(service, role, replica=replica)
                            self.start_process(service, role, replica=replica)
            for service in SERVICES:
                self.wait_ready(service)
            if self.front_doors:
                self.start_portal()
                self.start_console()
            self._ensure_platform_staff()
            self._publish_running()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_services(self) -> None:
        """Every service's APIs (but identity's first, started first) and workers."""
        for service in SERVICES:
            for replica in range(1, self.replicas + 1):
                if (service, replica) != ("identity", 1):
                    self.start_process(service, "api", replica=replica)
                self.start_process(service, "worker", replica=replica)

    # -- staff ----------------------------------------------------------------------------------
    def _ensure_platform_staff(self) -> None:
        """On the first start, one platform staff account (`new_platform_staff`, shown once)."""
        if self.secrets.platform_staff_login:
            return
        login = PLATFORM_STAFF["login"]
        try:
            self.new_platform_staff = self.create_staff(
                login, PLATFORM_STAFF["name"], PLATFORM_STAFF["organisation"], ["platform"]
            )
        except LauncherError as error:
            if "taken" not in str(error):  # made by a start that stopped before writing it down
                raise
        self.secrets.platform_staff_login = login
        self.secrets.keep_platform_staff(self.state)

    def identity_command(self, *args: str) -> str:
        """`medrec-identity ARGS` with this stack's identity settings; its output."""
        return self.service_command("identity", *args)

    def import_closures(self, file: Path) -> str:
        """`medrec-catalog closures import FILE` on this stack's catalog; its report line."""
        return self.service_command("catalog", "closures", "import", str(file))

    def service_command(self, service: str, *args: str) -> str:
        """`medrec-<service> ARGS` with this stack's settings for it; its output."""
        done = subprocess.run(  # noqa: S603 - our own entry point, no shell
            [self._bin(f"medrec-{service}"), *args],
            env={**os.environ, **self.env(service)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise LauncherError(
                f"medrec-{service} {' '.join(args[:2])}: {done.stderr.strip()[-300:]}"
            )
        return done.stdout.strip()

    def create_staff(
        self,
        login: str,
        name: str,
        organisation: str,
        roles: list[str],
        region: str | None = None,
    ) -> StaffCredentials:
        """A staff account, as `medrec-identity staff create` makes one."""
        args = ["staff", "create", "--login", login, "--name", name]
        args += ["--organisation", organisation]
        for role in roles:
            args += ["--role", role]
        if region:
            args += ["--region", region]
        return StaffCredentials.parse(self.identity_command(*args))

    def staff_token(self, login: str) -> str:
        """An access token for a staff account without signing in (sandbox only)."""
        return self.identity_command("staff", "token", "--login", login).splitlines()[-1]

    # -- a running stack, seen from another process --------------------------------------------
    def _publish_running(self) -> None:
        """Where this stack's engines and services are, for `medrec-stack staff` run while it
        runs (mode 0600, next to the secrets; removed when it stops)."""
        assert self.infra is not None
        write_private(
            self.state / RUNNING_FILE,
            {
                "pid": os.getpid(),
                "sandbox": self.sandbox,
                "ports": self.ports,
                "database_url": self.infra.database_url,
                "kafka_bootstrap": self.infra.kafka_bootstrap,
                "s3_url": self.infra.s3_url,
                "s3_access_key": self.infra.s3_access_key,
                "s3_secret_key": self.infra.s3_secret_key,
            },
        )

    @classmethod
    def running_on(cls, state: Path) -> "Cluster":
        """The stack running on `state` (started by another process), to run commands with its
        settings; LauncherError when none runs there."""
        running = read_json(state / RUNNING_FILE)
        if running is None or not _alive(int(running["pid"])):
            raise LauncherError(
                f"no stack is running on {state}: start it with `medrec-stack run` "
                f"(or give its directory with --state)"
            )
        cluster = cls(state, sandbox=bool(running["sandbox"]), owns_infra=False)
        cluster.ports = {k: int(v) for k, v in running["ports"].items()}
        cluster.infra = Infra(
            running["database_url"],
            running["kafka_bootstrap"],
            running["s3_url"],
            running["s3_access_key"],
            running["s3_secret_key"],
        )
        cluster.kept = Secrets.kept_in(state)
        return cluster

    async def _prepare_engines(self) -> None:
        assert self.infra is not None
        server = self.infra.database_url.replace("postgresql+asyncpg", "postgresql")
        conn = await asyncpg.connect(f"{server}/postgres")
        try:
            existing = {r[0] for r in await conn.fetch("SELECT datname FROM pg_database")}
            for service in (*SERVICES, *FRONT_DOORS):
                if f"medrec_{service}" not in existing:
                    await conn.execute(f'CREATE DATABASE "medrec_{service}"')
        finally:
            await conn.close()
        await ensure_topics(self.infra.kafka_bootstrap, TOPICS)

    async def _register_service_clients(self) -> None:
        """catalog's and issuance's clients, provisioned on the first start and kept (and again
        when a kept one lacks a scope a newer version needs). Their scopes are not issuable
        through the API: they are provisioned as a deployment does, by identity's
        `medrec-identity-service-clients` next to its database."""
        wanted = {
            "catalog": [
                "metadata:read",
                "demographics:read",
                "contact:read",
                "content:read",
                "person-keys:read",
            ],
            "issuance": ["content:read", "catalog:read", "names:read", "document-facts:read"],
        }
        async with httpx.AsyncClient(base_url=self.url("identity"), timeout=30) as http:
            kept = self.secrets.service_clients
            for service in list(kept):
                if not await _authenticates(http, *kept[service], wanted.get(service, [])):
                    # revoked, registered with an identity since reset, or without a scope
                    del kept[service]
            if set(wanted) <= set(kept):
                return
            for service, scopes in wanted.items():
                if service not in kept:
                    kept[service] = self.provision_service_client(f"medrec-{service}", scopes)
        self.secrets.keep_service_clients(self.state)

    def provision_service_client(self, name: str, scopes: list[str]) -> tuple[str, str]:
        """A client with service scopes, as deployment provisions one: (client_id, secret)."""
        command = [self._bin("medrec-identity-service-clients"), "register", "--name", name]
        for scope in scopes:
            command += ["--scope", scope]
        done = subprocess.run(  # noqa: S603 - our own entry point, no shell
            command,
            env={**os.environ, **self.env("identity")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise LauncherError(f"provisioning {name} failed: {done.stderr.strip()[-300:]}")
        body = json.loads(done.stdout)
        return body["client_id"], body["client_secret"]

    def _migrate(self) -> None:
        """Each service's new migrations, all services at once (they have a database each)."""
        running = [
            Process(
                f"{service}-migrate",
                [self._bin(f"medrec-{service}-migrate")],
                self.logs / f"{service}-migrate.log",
                env=self.env(service, "migrate"),
            ).start()
            for service in (*SERVICES, *(FRONT_DOORS if self.front_doors else ()))
        ]
        failed = [process for process in running if process.wait(300) != 0]
        if failed:
            raise LauncherError(
                f"{failed[0].name} failed: {failed[0].last_log_line()} (see {failed[0].log_path})"
            )

    def start_process(
        self,
        service: str,
        role: str,
        extra_env: dict[str, str] | None = None,
        *,
        replica: int = 1,
    ) -> Process:
        """`service`'s `role` process (replica 1, the first, unless told), with its metrics port;
        an API shares its port with the other replicas when there are several."""
        name = process_name(service, role, replica)
        env = self.env(service, role) | self._metrics_env(service, role, replica)
        if role == "api" and self.replicas > 1:
            env[f"MEDREC_{service.upper()}_API_REUSE_PORT"] = "true"
        process = Process(
            name,
            [self._bin(f"medrec-{service}-{role}")],
            self.logs / f"{name}.log",
            env={**env, **(extra_env or {})},
        ).start()
        self.processes[name] = process
        return process

    def start_portal(self, extra_env: dict[str, str] | None = None) -> Process:
        """The portal (`medrec-portal`), once the APIs it calls answer."""
        env = self.portal_env() | self._metrics_env(PORTAL) | (extra_env or {})
        process = Process(PORTAL, [self._bin("medrec-portal")], self.logs / "portal.log", env=env)
        process.start()
        self.processes[f"{PORTAL}-api"] = process
        self.wait_ready(PORTAL)
        return process

    def start_console(self) -> Process:
        """The console (`medrec-console`), once the APIs it calls answer."""
        env = self.console_env() | self._metrics_env(CONSOLE)
        log = self.logs / "console.log"
        process = Process(CONSOLE, [self._bin("medrec-console")], log, env=env)
        process.start()
        self.processes[f"{CONSOLE}-api"] = process
        self.wait_ready(CONSOLE)
        return process

    def stop_process(self, service: str, role: str, *, replica: int = 1) -> int | None:
        process = self.processes.pop(process_name(service, role, replica), None)
        return process.stop() if process else None

    def wait_ready(self, service: str, timeout: float = 60) -> None:
        def ready() -> bool:
            api = self.processes.get(f"{service}-api")
            if api is not None and not api.alive():
                raise ProcessDied(f"{service} api exited; see {api.log_path}")
            return httpx.get(f"{self.url(service)}/readyz", timeout=2).status_code == 200

        wait_until(ready, timeout=timeout, what=f"{service} /readyz", interval=0.2)

    def stop(self) -> None:
        if self.processes:
            (self.state / RUNNING_FILE).unlink(missing_ok=True)
        stop_all([self.processes.pop(name) for name in list(self.processes)[::-1]])
        if self.infra is not None and self.owns_infra:
            self.infra.stop()
            self.infra = None
        DataDir(self.state).close()

    def crash(self) -> None:
        """Every process of the stack, engines included, killed at once, as a power cut would;
        the data directory's lock goes as it would with the launcher."""
        everything = [*self.processes.values(), *(self.infra.processes if self.infra else [])]
        for process in everything:
            process.kill(wait=False)
        for process in everything:
            process.wait(10)
        self.processes.clear()
        self.infra = None
        DataDir(self.state).close()

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


def process_name(service: str, role: str, replica: int = 1) -> str:
    """ "{service}-{role}" for the first replica, "{service}-{role}-{n}" for the others."""
    return f"{service}-{role}" if replica == 1 else f"{service}-{role}-{replica}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _refuse_ports_in_use(ports: dict[str, int]) -> None:
    for service, port in ports.items():
        if port_open(port):
            raise LauncherError(
                f"port {port} ({service}) is in use: stop what listens there "
                f"(ss -ltnp 'sport = :{port}'), or run `medrec-stack run --no-fixed-ports`"
            )


async def _authenticates(
    http: httpx.AsyncClient, client_id: str, client_secret: str, scopes: list[str]
) -> bool:
    data = {"grant_type": "client_credentials"} | ({"scope": " ".join(scopes)} if scopes else {})
    response = await http.post("/oauth/token", data=data, auth=(client_id, client_secret))
    return response.status_code == 200
