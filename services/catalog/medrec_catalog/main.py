from pathlib import Path

from medrec_catalog.settings import CatalogSettings
from medrec_shared.platform import entrypoints

SERVICE_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_catalog.app import create_app

    settings = CatalogSettings()
    entrypoints.serve_api("catalog", settings, lambda: create_app(settings))


def run_worker() -> None:
    from medrec_catalog.worker import setup

    entrypoints.run_worker("catalog", CatalogSettings(), setup)


def run_migrations() -> None:
    entrypoints.migrate("catalog", SERVICE_DIR)


def run_cli() -> None:
    """medrec-catalog (cli.py): catalog's operator commands (closures import)."""
    from medrec_catalog.cli import app

    app()
