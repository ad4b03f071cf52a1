from pathlib import Path

from medrec_identity.settings import IdentitySettings
from medrec_shared.platform import entrypoints

SERVICE_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_identity.app import create_app

    settings = IdentitySettings()
    entrypoints.serve_api("identity", settings, lambda: create_app(settings))


def run_worker() -> None:
    from medrec_identity.worker import setup

    entrypoints.run_worker("identity", IdentitySettings(), setup)


def run_migrations() -> None:
    entrypoints.migrate("identity", SERVICE_DIR)


def run_signing_keys() -> None:
    """medrec-identity-signing-keys (signing_keys/cli.py)."""
    from medrec_identity.signing_keys.cli import app

    app()
