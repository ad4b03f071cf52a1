"""`medrec-stack run`: the whole cluster on this machine, until Ctrl-C or SIGTERM."""

import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from medrec_devstack.cluster import SERVICES, Cluster
from medrec_devstack.seed import seed_demo

app = typer.Typer(add_completion=False, help=__doc__)


@app.callback()
def main() -> None:
    """The medrec local stack."""


@app.command()
def run(
    demo: Annotated[
        bool, typer.Option(help="deposit demo clinics through the transfer API")
    ] = True,
    state: Annotated[Path | None, typer.Option(help="data and logs (default: a temp dir)")] = None,
    sandbox: Annotated[bool, typer.Option(help="sandbox verification and family registry")] = True,
    fixed_ports: Annotated[
        bool, typer.Option(help="the documented ports 8001-8004, or free ones")
    ] = True,
) -> None:
    """Start the engines and the four services (api and worker each)."""
    state_dir = state or Path(tempfile.mkdtemp(prefix="medrec-stack-"))
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cluster = Cluster(state_dir, sandbox=sandbox)
    typer.echo(f"starting the local stack in {state_dir} …")
    try:
        cluster.start(fixed_ports=fixed_ports)
        for service in SERVICES:
            url = cluster.url(service)
            typer.echo(f"  {service:<9} {url}   docs {url}/docs   ready {url}/readyz", color=False)
        typer.echo(
            f"operator client: id={cluster.secrets.admin_client_id} "
            f"secret={cluster.secrets.admin_client_secret}"
        )
        if demo:
            summary = seed_demo(cluster)
            typer.echo(f"demo: {summary}")
        typer.echo(f"logs in {cluster.logs}; Ctrl-C stops everything")
        while not stopping.wait(1.0):
            for name, process in list(cluster.processes.items()):
                if not process.alive():
                    typer.echo(f"{name} exited; see {process.log_path}", err=True)
                    stopping.set()
    finally:
        typer.echo("stopping …")
        cluster.stop()
        typer.echo("stopped")
