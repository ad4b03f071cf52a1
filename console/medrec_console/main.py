"""The console's console scripts: `medrec-console` serves it, `medrec-console-migrate` migrates."""

import logging
from pathlib import Path

from medrec_console.settings import ConsoleSettings
from medrec_shared.platform import entrypoints

CONSOLE_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_console.app import create_app

    settings = ConsoleSettings()
    # httpx logs every URL it calls, query strings included: the console's own log is kept.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    entrypoints.serve_api("console", settings, lambda: create_app(settings))


def run_migrations() -> None:
    entrypoints.migrate("console", CONSOLE_DIR)
