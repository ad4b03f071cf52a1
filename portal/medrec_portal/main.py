"""The portal's console scripts: `medrec-portal` serves it, `medrec-portal-migrate` migrates."""

import logging
from pathlib import Path

from medrec_portal.settings import PortalSettings
from medrec_shared.platform import entrypoints

PORTAL_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_portal.app import create_app

    settings = PortalSettings()
    # httpx logs every URL it calls, query strings included (a search term, a copy's code):
    # the portal's own access log, without query strings, is the one kept.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    entrypoints.serve_api("portal", settings, lambda: create_app(settings))


def run_migrations() -> None:
    entrypoints.migrate("portal", PORTAL_DIR)
