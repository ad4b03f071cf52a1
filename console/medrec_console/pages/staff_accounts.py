"""직원 관리 (platform staff, `staff:manage`): the staff accounts, a new one (its one-time
password and the TOTP URI, with its QR code, shown in the answer to the POST that made it and
never again), an account's roles, a reset of its second factor (a new TOTP URI, shown once), and
disabling it. identity makes each change and records it as a StaffActed naming who did it.

What is shown once is never stored by the console, never put in a URL and never logged."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.clients.models import StaffAccount
from medrec_console.forms import (
    ORGANISATIONS,
    REGIONS,
    StaffCreationForm,
    StaffRolesForm,
)
from medrec_console.qrcodes import qr_svg
from medrec_console.web import Page, PageDep
from medrec_shared.platform.logs import get_logger
from medrec_shared.rules import staff

router = APIRouter()
log = get_logger("medrec.console.staff")
PAGE_SIZE = 100
# The longest list walked to find one account (identity lists, it has no read of one account).
MAX_PAGES = 20
AccountId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{1,64}$")]
DONE = {
    "roles": "역할을 바꿨습니다. 그 직원이 다음에 토큰을 받을 때부터 적용됩니다.",
    "disabled": "계정을 사용 중지했습니다.",
}


def _role_labels(roles: list[str]) -> str:
    return ", ".join(staff.role_label(role) for role in roles)


def _vocabulary() -> dict[str, Any]:
    return {
        "roles": {role: staff.role_label(role) for role in staff.ROLES},
        "role_help": messages.ROLE_HELP,
        "regions": REGIONS,
        "organisations": ORGANISATIONS,
        "account_status": messages.ACCOUNT_STATUS,
        "role_labels": _role_labels,
    }


async def _list(
    page: Page, token: str, *, status_code: int = 200, cursor: str | None = None,
    form: StaffCreationForm | None = None, problem: str | None = None,
    notice: str | None = None,
) -> HTMLResponse:  # fmt: skip
    found = await page.clients.staff.accounts(token, limit=PAGE_SIZE, cursor=cursor)
    return page.render(
        "staff.html", status_code=status_code, nav="staff", accounts=found.items,
        more_cursor=found.next_cursor, form=form or StaffCreationForm(), problem=problem,
        notice=notice, **_vocabulary(),
    )  # fmt: skip


async def _account(page: Page, token: str, account_id: str) -> StaffAccount:
    """The account, found in identity's list (404 page when it is not there)."""
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        found = await page.clients.staff.accounts(token, limit=PAGE_SIZE, cursor=cursor)
        for account in found.items:
            if account.account_id == account_id:
                return account
        if not found.next_cursor:
            break
        cursor = found.next_cursor
    raise ApiProblem(404, "not-found")


async def _detail(
    page: Page, token: str, account: StaffAccount, *, status_code: int = 200,
    form: StaffRolesForm | None = None, problem: str | None = None, notice: str | None = None,
) -> HTMLResponse:  # fmt: skip
    held = form or StaffRolesForm(roles=list(account.roles), region=account.region or "",
                                  organisation=account.organisation)  # fmt: skip
    me = page.staff
    return page.render(
        "staff_account.html", status_code=status_code, nav="staff", account=account, form=held,
        problem=problem, notice=notice, own=bool(me and me.account_id == account.account_id),
        **_vocabulary(),
    )  # fmt: skip


def _shown_once(
    page: Page, *, heading: str, lead: str, account_id: str, login: str,
    password: str | None, totp_uri: str | None, status_code: int,
) -> HTMLResponse:  # fmt: skip
    return page.render(
        "staff_secret.html", status_code=status_code, nav="staff", heading=heading, lead=lead,
        account_id=account_id, login=login, password=password, totp_uri=totp_uri,
        qr_svg=qr_svg(totp_uri) if totp_uri else None,
    )  # fmt: skip


@router.get("/staff", response_class=HTMLResponse)
async def accounts(
    page: PageDep, cursor: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    return await _list(page, token, cursor=cursor)


@router.post("/staff", response_class=HTMLResponse)
async def create(page: PageDep) -> Response:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    form = StaffCreationForm.read(await page.form())
    if not form.valid():
        return await _list(page, token, status_code=422, form=form,
                           problem=messages.PROBLEMS["validation"])  # fmt: skip
    try:
        created = await page.clients.staff.create(
            token, login=form.login, name=form.name, organisation=form.organisation_claim,
            roles=form.roles, region=form.region_claim,
        )  # fmt: skip
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        form.errors = messages.field_errors(problem)
        if problem.status == 409:
            form.errors["login"] = messages.OPERATIONS_PROBLEMS["login-taken"]
        sentence = messages.OPERATIONS_PROBLEMS.get(problem.kind) or (
            messages.OPERATIONS_PROBLEMS["login-taken"] if problem.status == 409
            else messages.sentence(problem)
        )  # fmt: skip
        return await _list(page, token, status_code=problem.status, form=form, problem=sentence)
    account = created.account
    log.info("staff_account_created", account_id=account.account_id)
    return _shown_once(
        page, heading="직원 계정을 만들었습니다", status_code=201,
        lead="처음 비밀번호와 인증 앱 등록 정보는 지금 한 번만 보입니다.",
        account_id=account.account_id, login=account.login, password=created.password,
        totp_uri=created.totp_uri,
    )  # fmt: skip


@router.get("/staff/{account_id}", response_class=HTMLResponse)
async def account(
    page: PageDep, account_id: AccountId, done: Annotated[str, Query(max_length=16)] = ""
) -> HTMLResponse:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    found = await _account(page, token, account_id)
    return await _detail(page, token, found, notice=DONE.get(done))


@router.post("/staff/{account_id}/roles", response_class=HTMLResponse)
async def set_roles(page: PageDep, account_id: AccountId) -> Response:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    found = await _account(page, token, account_id)
    form = StaffRolesForm.read(await page.form(), organisation=found.organisation)
    if not form.valid():
        return await _detail(page, token, found, status_code=422, form=form,
                             problem=messages.PROBLEMS["validation"])  # fmt: skip
    try:
        await page.clients.staff.set_roles(
            token, account_id, roles=form.roles, region=form.region_claim
        )
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status in (401, 404):
            raise
        form.errors = messages.field_errors(problem)
        return await _detail(page, token, found, status_code=problem.status, form=form,
                             problem=messages.sentence(problem))  # fmt: skip
    return RedirectResponse(f"/staff/{account_id}?done=roles", status_code=303)


@router.post("/staff/{account_id}/second-factor-reset", response_class=HTMLResponse)
async def reset_second_factor(page: PageDep, account_id: AccountId) -> Response:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    found = await _account(page, token, account_id)
    reset = await page.clients.staff.reset_second_factor(token, account_id)
    log.info("staff_second_factor_reset", account_id=account_id)
    return _shown_once(
        page, heading="2단계 인증을 초기화했습니다", status_code=200,
        lead="새 인증 앱 등록 정보는 지금 한 번만 보입니다. 이전 인증 앱은 더 이상 쓸 수 없습니다.",
        account_id=account_id, login=found.login, password=None, totp_uri=reset.totp_uri,
    )  # fmt: skip


@router.post("/staff/{account_id}/password-reset", response_class=HTMLResponse)
async def reset_password(page: PageDep, account_id: AccountId) -> Response:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    found = await _account(page, token, account_id)
    reset = await page.clients.staff.reset_password(token, account_id)
    log.info("staff_password_reset", account_id=account_id)
    return _shown_once(
        page, heading="비밀번호를 초기화했습니다", status_code=200,
        lead="새 처음 비밀번호는 지금 한 번만 보입니다. 직원은 다음 로그인 때 바꿉니다.",
        account_id=account_id, login=found.login, password=reset.password, totp_uri=None,
    )  # fmt: skip


@router.post("/staff/{account_id}/disable", response_class=HTMLResponse)
async def disable(page: PageDep, account_id: AccountId) -> Response:
    token = await page.require(staff.STAFF_MANAGE, nav="staff")
    try:
        await page.clients.staff.disable(token, account_id)
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        found = await _account(page, token, account_id)  # their own (identity refuses it)
        return await _detail(page, token, found, status_code=409,
                             problem=messages.OPERATIONS_PROBLEMS["own-account"])  # fmt: skip
    return RedirectResponse(f"/staff/{account_id}?done=disabled", status_code=303)
