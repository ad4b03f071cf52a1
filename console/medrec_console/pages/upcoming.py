"""The menu's pages not built yet (issue #27: 이관, 파기, 기관 연동, 장애 이벤트, 감사 로그,
직원 관리), each behind its scope as the finished page will be: a person sees the entry only when
their roles allow it, and the page says it is coming. A finished page's module takes its key out
of `UPCOMING` and joins `pages.PAGES`."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from medrec_console.navigation import BY_KEY, Entry
from medrec_console.web import PageDep

router = APIRouter()
UPCOMING = ("transfers", "destructions", "clients", "dead-letters", "audit", "staff")


def _route(entry: Entry) -> None:
    async def upcoming(page: PageDep) -> HTMLResponse:
        await page.require(entry.scope, nav=entry.key)
        return page.render("upcoming.html", nav=entry.key, entry=entry)

    upcoming.__name__ = f"upcoming_{entry.key.replace('-', '_')}"
    router.add_api_route(entry.path, upcoming, methods=["GET"], response_class=HTMLResponse)


for key in UPCOMING:
    _route(BY_KEY[key])
