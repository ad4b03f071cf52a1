"""The console's pages, one module per menu entry (plus sign-in); `PAGES` is what the app
serves. A new page: a module here with its router, its entry's scope checked by
`page.require(...)` first thing, and its router added below (and its key taken out of
`upcoming.UPCOMING`)."""

from fastapi import APIRouter

from medrec_console.pages import home, linkage, proxy_requests, signin, upcoming

PAGES: tuple[APIRouter, ...] = (
    signin.router,
    home.router,
    linkage.router,
    proxy_requests.router,
    upcoming.router,
)
