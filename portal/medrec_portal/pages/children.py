"""자녀 진료기록: the children the family registry names, whether the guardian may act for each
(and why not), and acting for one: the child's token goes into the session, every page shows a
banner naming the child, and one click ends it."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_portal import messages
from medrec_portal.clients.http import ApiProblem
from medrec_portal.sessions.service import Acting
from medrec_portal.web import PageDep

router = APIRouter()


@router.get("/children", response_class=HTMLResponse)
async def children(page: PageDep) -> HTMLResponse:
    token = page.own_token()
    found = await page.identity.children(token)
    return page.render("children.html", nav="children", items=found, problem=None)


@router.post("/children/{person_id}/act", response_class=HTMLResponse)
async def act_for(page: PageDep, person_id: str) -> Response:
    token = page.own_token()
    found = await page.identity.children(token)
    child = next((c for c in found if str(c.person_id) == person_id), None)
    if child is None:
        raise ApiProblem(404, "not-found")
    try:
        granted = await page.identity.child_token(token, child.person_id)
    except ApiProblem as problem:
        if problem.status != 403:
            raise
        return page.render(
            "children.html", status_code=403, nav="children", items=found,
            problem=f"{child.name}님을 대신할 수 없습니다. {messages.sentence(problem)}",
        )  # fmt: skip
    page.data.acting = Acting(person_id=person_id, name=child.name, token=granted.access_token)
    await page.save()
    return RedirectResponse("/records", status_code=303)


@router.post("/children/stop")
async def stop_acting(page: PageDep) -> Response:
    page.data.acting = None
    await page.save()
    return RedirectResponse("/children", status_code=303)
