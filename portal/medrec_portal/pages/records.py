"""내 진료기록: the subject's records (the child's while acting for one), grouped by institution,
with filters; each record can be chosen for a certified copy. Every filter, the period (진료 기간,
`from`/`to`: care that overlaps it) included, is catalog's: a filter it refuses is shown at its
field, and nothing is listed.

One view of the page is one listing, so one line in the subject's 열람 이력: the filter's
institutions come from catalog's summary (`institutions_held`), which is not an access."""

from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from medrec_portal.clients.http import ApiProblem
from medrec_portal.web import Page, PageDep
from medrec_shared.rules.contracts import RecordSummary

router = APIRouter()
FILTER_MESSAGES = {
    "institution": "의료기관을 목록에서 골라 주세요.",
    "kind": "기록 종류를 목록에서 골라 주세요.",
    "specialty": "진료 분야를 목록에서 골라 주세요.",
    "from": "진료 기간 시작을 올바른 날짜(예: 2025-01-31)로 입력해 주세요.",
    "to": "진료 기간 끝을 시작 이후의 올바른 날짜(예: 2025-12-31)로 입력해 주세요.",
}


async def all_records(page: Page, token: str, params: dict[str, str]) -> list[RecordSummary]:
    items: list[RecordSummary] = []
    cursor = None
    for _ in range(20):  # 10,000 records: more than any person has
        query = params | {"limit": "500"} | ({"cursor": cursor} if cursor else {})
        found = await page.catalog.my_records(token, query)
        items.extend(found.items)
        cursor = found.next_cursor
        if not cursor:
            break
    return items


async def institutions_held(page: Page, token: str) -> OrderedDict[str, str]:
    """The institutions holding the subject's records (code → name), most recent care first."""
    summary = await page.catalog.my_records_summary(token)
    return OrderedDict(
        (g.institution.code, g.institution.name or g.institution.code) for g in summary.groups
    )


@router.get("/records", response_class=HTMLResponse)
async def records(
    page: PageDep,
    institution: Annotated[str, Query(max_length=8)] = "",
    kind: Annotated[str, Query(max_length=32)] = "",
    specialty: Annotated[str, Query(max_length=32)] = "",
    start: Annotated[str, Query(max_length=10, alias="from")] = "",
    end: Annotated[str, Query(max_length=10, alias="to")] = "",
) -> HTMLResponse:
    token = page.require_signed_in()
    filters = {"institution": institution, "kind": kind, "specialty": specialty}
    institutions = await institutions_held(page, token)
    wanted = filters | {"from": start, "to": end}
    errors: dict[str, str] = {}
    try:
        listed = await all_records(page, token, {k: v for k, v in wanted.items() if v})
    except ApiProblem as problem:
        if problem.status != 422:
            raise
        for error in problem.errors:
            name = str(error.get("field", ""))
            errors[name] = FILTER_MESSAGES.get(name, "조회 조건을 확인해 주세요.")
        errors = errors or {"to": FILTER_MESSAGES["to"]}
        listed = []
    groups: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for record in listed:
        code = record.institution.code
        groups.setdefault(code, {"name": record.institution.name, "records": []})
        groups[code]["records"].append(record)
    return page.render(
        "records.html",
        status_code=422 if errors else 200,
        nav="records",
        groups=groups,
        institutions=institutions,
        filters=wanted,
        total=len(listed),
        errors=errors,
        problem="조회 조건을 확인해 주세요." if errors else None,
    )
