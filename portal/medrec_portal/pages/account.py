"""열람 이력: who did what with the subject's records, guardians' acts included."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from medrec_portal.web import PageDep

router = APIRouter()


@router.get("/access-log", response_class=HTMLResponse)
async def access_log(page: PageDep) -> HTMLResponse:
    token = page.require_signed_in()
    entries = await page.catalog.access_log(token, limit=200)
    return page.render("access_log.html", nav="access-log", items=entries)
