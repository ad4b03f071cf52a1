"""`medrec-stack`: the whole cluster on this machine, on a data directory that it keeps."""

import contextlib
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from medrec_devstack.cluster import (
    CONSOLE,
    FRONT_DOORS,
    PORTAL,
    SERVICES,
    Cluster,
    StaffCredentials,
)
from medrec_devstack.datadir import DataDir, LauncherError, default_state, reset_hint, size_of
from medrec_devstack.processes import ProcessDied
from medrec_devstack.seed import seed_closures, seed_demo

app = typer.Typer(add_completion=False, help=__doc__)

StateOption = Annotated[
    Path | None,
    typer.Option(
        help="the data directory (default: MEDREC_STACK_STATE, or .medrec/ here)",
        show_default=False,
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"medrec-stack: {message}", err=True)
    return typer.Exit(2)


@app.callback()
def main() -> None:
    """The medrec local stack."""


@app.command()
def run(
    demo: Annotated[
        bool, typer.Option(help="deposit demo clinics through the transfer API (once)")
    ] = True,
    state: StateOption = None,
    sandbox: Annotated[bool, typer.Option(help="sandbox verification and family registry")] = True,
    fixed_ports: Annotated[
        bool, typer.Option(help="the documented ports 8000-8005, or free ones")
    ] = True,
    replicas: Annotated[
        int,
        typer.Option(
            min=1,
            max=8,
            help="API processes and workers of each service (an API's share its port)",
        ),
    ] = 1,
) -> None:
    """Start the engines and the four services (api and worker each); Ctrl-C stops them."""
    state_dir = (state or default_state()).absolute()
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    # SIGHUP too: a closed terminal stops the stack as Ctrl-C does, leaving nothing behind.
    for stop_signal in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(stop_signal, on_signal)
    cluster = Cluster(state_dir, sandbox=sandbox, replicas=replicas)
    typer.echo(f"starting the local stack on {state_dir} …")
    try:
        cluster.start(fixed_ports=fixed_ports)
    except (LauncherError, ProcessDied, TimeoutError) as error:
        raise _fail(str(error)) from None
    try:
        portal = f"http://localhost:{cluster.ports[PORTAL]}"
        typer.echo(f"  portal    {portal}   진료기록 발급포털: open it in a browser", color=False)
        console = f"http://localhost:{cluster.ports[CONSOLE]}"
        typer.echo(f"  console   {console}   운영자 콘솔", color=False)
        for service in SERVICES:
            url = cluster.url(service)
            typer.echo(f"  {service:<9} {url}   docs {url}/docs   ready {url}/readyz", color=False)
        # Every process's Prometheus endpoint (a worker's /healthz is beside its /metrics).
        for service in (*SERVICES, *FRONT_DOORS):
            urls = [f"api {cluster.metrics_url(service)}"]
            if service in SERVICES:
                urls.append(f"worker {cluster.worker_metrics_url(service)}")
            typer.echo(f"  metrics   {service:<9} {'  '.join(urls)}", color=False)
        if replicas > 1:
            typer.echo(
                f"  replicas  {replicas} API processes (one port each service) and {replicas} "
                f"workers of each service (their metrics: `<service>-worker-<n>` in the logs); "
                f"the portal and the console one each",
                color=False,
            )
        infra = cluster.infra
        assert infra is not None
        database = infra.database_url.replace("postgresql+asyncpg://", "postgresql://")
        typer.echo(f"  engines   {database}  s3 {infra.s3_url}  kafka {infra.kafka_bootstrap}")
        secrets = cluster.secrets
        shown = (
            "(MEDREC_IDENTITY_ADMIN_CLIENT_SECRET)"
            if secrets.operator_configured
            else secrets.admin_client_secret
        )
        typer.echo(f"machine account: id={secrets.admin_client_id} secret={shown}")
        if cluster.new_platform_staff is not None:
            typer.echo(f"staff account: {cluster.new_platform_staff.line()}")
        else:
            typer.echo(
                f"staff account: {secrets.platform_staff_login} exists (its password was shown "
                f"on the first start; `medrec-stack staff create` makes others)"
            )
        if demo:
            typer.echo(f"demo: {seed_demo(cluster)}")
            typer.echo(f"closures: {seed_closures(cluster)}")
        typer.echo(f"data in {state_dir} (kept; {reset_hint(state_dir)} deletes it)")
        typer.echo(f"logs in {cluster.logs}; Ctrl-C stops everything")
        while not stopping.wait(1.0):
            for name, process in list(cluster.processes.items()):
                if not process.alive():
                    typer.echo(f"{name} exited; see {process.log_path}", err=True)
                    stopping.set()
    finally:
        with contextlib.suppress(OSError):  # the terminal may be gone already
            typer.echo("stopping …")
        cluster.stop()
        with contextlib.suppress(OSError):
            typer.echo("stopped")


@app.command()
def reset(
    state: StateOption = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask")] = False,
) -> None:
    """Delete the data directory: every database, object, event, key and log in it."""
    data = DataDir((state or default_state()).absolute())
    if not data.path.exists():
        typer.echo(f"{data.path} does not exist; nothing to delete")
        return
    try:
        data.check()
    except LauncherError as error:
        if data.is_new:  # not ours: never delete a directory we did not make
            raise _fail(str(error)) from None
    typer.echo(
        f"This deletes {data.path} ({size_of(data.path) / 1e6:.1f} MB): the databases, the "
        f"stored records and copies, the broker's events, the keys that decrypt them, and logs."
    )
    if not yes and not (sys.stdin.isatty() and typer.confirm("Delete it?", default=False)):
        raise _fail("nothing deleted (give --yes to delete without asking)")
    try:
        data.reset()
    except LauncherError as error:
        raise _fail(str(error)) from None
    typer.echo(f"deleted {data.path}")


staff = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Staff accounts of a running stack."
)
app.add_typer(staff, name="staff")


def _running(state: Path | None) -> Cluster:
    try:
        return Cluster.running_on((state or default_state()).absolute())
    except LauncherError as error:
        raise _fail(str(error)) from None


@staff.command("create")
def staff_create(
    login: Annotated[str, typer.Option("--login", help="e.g. kim.reviewer")],
    name: Annotated[str, typer.Option("--name")],
    organisation: Annotated[str, typer.Option("--organisation", help="khis, or hc:<region code>")],
    roles: Annotated[
        list[str], typer.Option("--role", help="reviewer, health_centre, platform, auditor; repeat")
    ],
    region: Annotated[str | None, typer.Option("--region", help="e.g. 11")] = None,
    state: StateOption = None,
) -> None:
    """A staff account on the running stack; prints `login=… password=… totp=…` once."""
    cluster = _running(state)
    try:
        made: StaffCredentials = cluster.create_staff(login, name, organisation, roles, region)
    except LauncherError as error:
        raise _fail(str(error)) from None
    typer.echo(made.line())


@staff.command("token")
def staff_token(
    login: Annotated[str, typer.Option("--login")],
    state: StateOption = None,
) -> None:
    """An access token of a staff account of the running stack (sandbox only)."""
    cluster = _running(state)
    try:
        typer.echo(cluster.staff_token(login))
    except LauncherError as error:
        raise _fail(str(error)) from None


closures = typer.Typer(
    add_completion=False, no_args_is_help=True, help="The registry of closed clinics."
)
app.add_typer(closures, name="closures")


@closures.command("import")
def closures_import(
    file: Annotated[Path, typer.Argument(help="HIRA 요양기관 폐업 현황 CSV (CP949 or UTF-8)")],
    state: StateOption = None,
) -> None:
    """Imports the public closure data into the running stack's catalog (a file it does not
    recognise is refused, exit 2, nothing changed; importing again updates, never doubles)."""
    cluster = _running(state)
    try:
        typer.echo(cluster.import_closures(file.absolute()))
    except LauncherError as error:
        raise _fail(str(error)) from None
