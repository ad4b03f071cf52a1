"""The console's pages, one module per menu entry (plus sign-in); `PAGES` is what the app
serves. A new page: a module here with its router, its entry's scope checked by
`page.require(...)` first thing, and its router added below."""

from fastapi import APIRouter

from medrec_console.pages import (
    audit,
    closures,
    dead_letters,
    destructions,
    home,
    institution_clients,
    linkage,
    proxy_requests,
    signin,
    staff_accounts,
    transfer_requests,
    transfers,
)

PAGES: tuple[APIRouter, ...] = (
    signin.router,
    home.router,
    transfers.router,
    closures.router,
    transfer_requests.router,
    linkage.router,
    proxy_requests.router,
    destructions.router,
    institution_clients.router,
    dead_letters.router,
    audit.router,
    staff_accounts.router,
)
