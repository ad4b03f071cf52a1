"""FHIR로 내려받기: the subject's records (the child's while acting for one) as one KR Core
Bundle (catalog's `$everything`), passed through the portal's server as a download
`medrec-<date>.json`: the page never holds a token, and the Bundle is never held whole here.

The RRN goes in the file only when the person ticks the box: the flag travels, the number never
is in a URL."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.web import PageDep
from medrec_shared.platform.clock import KST

router = APIRouter()


@router.get("/records/fhir")
async def records_fhir(
    page: PageDep, rrn: Annotated[str, Query(max_length=1, pattern="^1?$")] = ""
) -> Response:
    token = page.require_signed_in()
    data = page.data
    person_id = data.acting.person_id if data.acting else data.person_id
    assert person_id is not None, "a signed-in session names its person"
    try:
        response, body = await page.catalog.everything(token, person_id, include_rrn=bool(rrn))
    except ApiProblem as problem:
        return page.render(
            "error.html", status_code=problem.status if problem.status < 500 else 502,
            status=problem.status, message=messages.sentence(problem), back="/records",
        )  # fmt: skip
    day = page.clock.now().astimezone(KST).date().isoformat()
    return StreamingResponse(
        body,
        media_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="medrec-{day}.json"'},
        background=BackgroundTask(response.aclose),
    )
