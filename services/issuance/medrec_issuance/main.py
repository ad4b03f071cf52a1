from pathlib import Path

from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform import entrypoints

SERVICE_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_issuance.app import create_app

    settings = IssuanceSettings()
    entrypoints.serve_api("issuance", settings, lambda: create_app(settings))


def run_worker() -> None:
    from medrec_issuance.worker import setup

    entrypoints.run_worker("issuance", IssuanceSettings(), setup)


def run_migrations() -> None:
    entrypoints.migrate("issuance", SERVICE_DIR)
