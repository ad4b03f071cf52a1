"""기관 연동: the institution clients of the transfer API (and machine accounts' operations):
register one, list the active ones, revoke one. The secret is in identity's answer to the
registration only (it keeps a hash): this page shows it in the answer to the POST itself, never
stored, never redirected to, never shown again; a reload of the list does not carry it."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.clients.models import InstitutionClient, RegisteredClient
from medrec_console.forms import CLIENT_SCOPES, ClientRegistrationForm
from medrec_console.web import Page, PageDep
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules import staff

router = APIRouter()
log = get_logger("medrec.console.clients")
REVOKED = "연동 계정을 폐기했습니다. 그 계정으로는 더 이상 토큰을 받을 수 없습니다."


def _scope_labels(scopes: list[str]) -> str:
    return ", ".join(CLIENT_SCOPES.get(s, s) for s in scopes)


def _manageable(client: InstitutionClient) -> bool:
    """A client the console may revoke: one holding only what a client may be registered with.
    medrec's own services' clients (content and demographics scopes) are deployment's to
    provision and rotate; revoking one here would stop a service."""
    return set(client.scopes) <= set(CLIENT_SCOPES)


async def _render(
    page: Page, token: str, *, status_code: int = 200, form: ClientRegistrationForm | None = None,
    registered: RegisteredClient | None = None, notice: str | None = None,
    problem: str | None = None,
) -> HTMLResponse:  # fmt: skip
    found = await page.clients.institution_clients.clients(token)
    return page.render(
        "clients.html", status_code=status_code, nav="clients", clients=found,
        form=form or ClientRegistrationForm(), registered=registered, notice=notice,
        problem=problem, scopes=CLIENT_SCOPES, scope_labels=_scope_labels,
        manageable=_manageable,
    )  # fmt: skip


@router.get("/clients", response_class=HTMLResponse)
async def clients(page: PageDep, revoked: str = "") -> HTMLResponse:
    token = await page.require(staff.CLIENTS_MANAGE, nav="clients")
    notice = (
        "연동 계정을 폐기했습니다. 그 계정의 토큰은 더 이상 발급되지 않습니다." if revoked else None
    )
    return await _render(page, token, notice=notice)


@router.post("/clients", response_class=HTMLResponse)
async def register(page: PageDep) -> Response:
    token = await page.require(staff.CLIENTS_MANAGE, nav="clients")
    form = ClientRegistrationForm.read(await page.form())
    if not form.valid():
        return await _render(page, token, status_code=422, form=form,
                             problem=messages.PROBLEMS["validation"])  # fmt: skip
    try:
        registered = await page.clients.institution_clients.register(
            token, name=form.name, institution_codes=form.codes, scopes=form.scopes
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        form.errors = messages.field_errors(problem)
        return await _render(page, token, status_code=problem.status, form=form,
                             problem=messages.sentence(problem))  # fmt: skip
    log.info("client_registered", client_id=registered.client_id)
    # The answer to this POST is the one place the secret is shown (no redirect carries it).
    return await _render(page, token, status_code=201, registered=registered)


@router.post("/clients/{client_id}/revoke", response_class=HTMLResponse)
async def revoke(page: PageDep, client_id: str) -> Response:
    token = await page.require(staff.CLIENTS_MANAGE, nav="clients")
    await page.clients.institution_clients.revoke(token, client_id)
    return RedirectResponse("/clients?revoked=1", status_code=303)
