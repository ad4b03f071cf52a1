"""감사 로그 (auditors, `audit:read`): the audit trail searched by person, act, record and date,
as catalog keeps it from every service's StaffActed. It names the person who acted; it never
names whose records they were. A search is a GET (the query is the form): a page of results can
be bookmarked and shared between auditors."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from medrec_console import messages
from medrec_console.clients.models import AuditEntries
from medrec_console.forms import AuditSearchForm
from medrec_console.web import PageDep
from medrec_shared.rules import staff

router = APIRouter()
PAGE_SIZE = 50


def _role_labels(roles: list[str]) -> str:
    return ", ".join(staff.role_label(role) for role in roles)


@router.get("/audit", response_class=HTMLResponse)
async def audit(
    page: PageDep, cursor: Annotated[str | None, Query(max_length=200)] = None
) -> HTMLResponse:
    token = await page.require(staff.AUDIT_READ, nav="audit")
    form = AuditSearchForm.read(page.request.query_params)
    entries: AuditEntries | None = None
    status_code, problem = 200, None
    if form.valid():
        entries = await page.clients.audit.search(
            token, actor=form.actor or None, act=form.act or None,
            resource_id=form.resource_id or None, since=form.since_day, until=form.until_day,
            limit=PAGE_SIZE, cursor=cursor,
        )  # fmt: skip
    else:
        status_code, problem = 422, messages.PROBLEMS["validation"]
    criteria = {"actor": form.actor, "act": form.act, "resource_id": form.resource_id,
                "since": form.since, "until": form.until}  # fmt: skip
    more = criteria | {"cursor": entries.next_cursor if entries else ""}
    return page.render(
        "audit.html", status_code=status_code, nav="audit", form=form, entries=entries,
        problem=problem, more_query=urlencode({k: v for k, v in more.items() if v}),
        acts=messages.ACTS, resource_types=messages.RESOURCE_TYPES,
        role_labels=_role_labels,
    )  # fmt: skip
