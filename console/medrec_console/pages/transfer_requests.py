"""이관 요청: the clinics citizens asked to be transferred, most requested first, with how many
asked (never who), for a health centre to call on the clinics that have not handed over.

catalog holds a health centre's person to their region: the page fixes the region filter to
theirs (the token's); a platform person may choose one or see all."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from medrec_console import messages
from medrec_console.forms import REGIONS, TransferFilterForm
from medrec_console.web import PageDep
from medrec_shared.rules import staff
from medrec_shared.rules.regions import region_code

router = APIRouter()
PAGE_SIZE = 100


def _region_name(region: str) -> str:
    """A clinic's region as deposited ("11", "서울", "서울특별시"), named in full."""
    return REGIONS.get(region_code(region) or "", region)


@router.get("/transfer-requests", response_class=HTMLResponse)
async def transfer_requests(page: PageDep) -> HTMLResponse:
    token = await page.require(staff.TRANSFER_REQUESTS_READ, nav="transfer-requests")
    form = TransferFilterForm.read(page.request.query_params)
    form.status = ""  # no status here: every clinic listed is still waiting
    person = page.staff
    fixed = staff.region_limit(person.roles, person.region) if person else None
    if fixed:
        form.region = fixed
    context: dict[str, Any] = {"nav": "transfer-requests", "form": form, "fixed_region": fixed,
               "regions": REGIONS, "region_name": _region_name}  # fmt: skip
    if not form.valid():
        return page.render(
            "transfer_requests.html", status_code=422, queue=None,
            problem=messages.PROBLEMS["validation"], **context,
        )  # fmt: skip
    found = await page.clients.transfer_requests.queue(
        token, region=form.region or None, limit=PAGE_SIZE
    )
    return page.render("transfer_requests.html", queue=found, problem=None, **context)
