"""The portal's console scripts: `medrec-portal` serves it, `medrec-portal-migrate` migrates."""

import logging
from pathlib import Path

import uvicorn

from medrec_portal.settings import PortalSettings
from medrec_shared import entrypoints
from medrec_shared.logs import configure_logging

PORTAL_DIR = Path(__file__).resolve().parent.parent


def run_api() -> None:
    from medrec_portal.app import create_app

    settings = PortalSettings()
    configure_logging("portal", settings.log_level)
    # httpx logs every URL it calls, query strings included (a search term, a copy's code):
    # the portal's own access log, without query strings, is the one kept.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )


def run_migrations() -> None:
    entrypoints.migrate("portal", PORTAL_DIR)
