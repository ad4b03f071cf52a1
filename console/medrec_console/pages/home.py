"""현황: the service's counts (catalog's stats: no personal data), and for a reviewer how many
wait in the review queues. Every role has stats:read: this is where a person lands."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from medrec_console.clients.models import Queue
from medrec_console.web import PageDep
from medrec_shared.rules import staff

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
async def home(page: PageDep) -> HTMLResponse:
    token = await page.require(staff.STATS_READ, nav="home")
    stats = await page.clients.stats.stats(token)
    scopes = page.staff.scopes if page.staff else frozenset()
    queues = []
    if staff.LINKAGE_REVIEW in scopes:
        pending = stats.pending_candidates
        queues.append(Queue(label="연계 검토 대기", count=pending, path="/linkage"))
    if staff.PROXY_REVIEW in scopes:
        waiting = await page.clients.proxy_requests.queue(
            token, status="submitted", limit=500, cursor=None
        )
        count = len(waiting.items)
        queues.append(Queue(label="대리 신청 심사 대기", count=count, path="/proxy-requests"))
    return page.render("home.html", nav="home", stats=stats, queues=queues)
