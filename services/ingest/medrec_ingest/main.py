from pathlib import Path

from medrec_ingest.settings import IngestSettings
from medrec_shared.platform import entrypoints

SERVICE_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_ingest.app import create_app

    settings = IngestSettings()
    entrypoints.serve_api("ingest", settings, lambda: create_app(settings))


def run_worker() -> None:
    from medrec_ingest.worker import setup

    entrypoints.run_worker("ingest", IngestSettings(), setup)


def run_migrations() -> None:
    entrypoints.migrate("ingest", SERVICE_DIR)


def run_keys() -> None:
    """medrec-ingest-keys (keys/cli.py)."""
    from medrec_ingest.keys.cli import app

    app()


def run_linkage() -> None:
    """medrec-ingest-linkage (linkage/cli.py)."""
    from medrec_ingest.linkage.cli import app

    app()


def run_destructions() -> None:
    """medrec-ingest-destructions (destruction/cli.py)."""
    from medrec_ingest.destruction.cli import app

    app()
