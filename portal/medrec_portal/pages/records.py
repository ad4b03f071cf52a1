"""내 진료기록: the subject's records (the child's while acting for one), grouped by institution,
with filters; each record can be chosen for a certified copy."""

from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from medrec_portal.web import Page, PageDep

router = APIRouter()


async def all_records(page: Page, token: str, params: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(20):  # 10,000 records: more than any person has
        query = params | {"limit": "500"} | ({"cursor": cursor} if cursor else {})
        found = await page.backends.call(
            "catalog", "GET", "/v1/me/records", token=token, params=query
        )
        items.extend(found.get("items", []))
        cursor = found.get("next_cursor")
        if not cursor:
            break
    return items


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
    everything = await all_records(page, token, {})
    institutions = OrderedDict(
        (r["institution"]["code"], r["institution"]["name"]) for r in everything
    )
    listed = await all_records(page, token, {k: v for k, v in filters.items() if v})
    # The period: records whose service overlaps [from, to] (dates compare as text).
    if start:
        listed = [r for r in listed if str(r.get("service_end") or "") >= start]
    if end:
        listed = [r for r in listed if str(r.get("service_start") or "") <= end]
    groups: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for record in listed:
        code = record["institution"]["code"]
        groups.setdefault(code, {"name": record["institution"]["name"], "records": []})
        groups[code]["records"].append(record)
    return page.render(
        "records.html",
        nav="records",
        groups=groups,
        institutions=institutions,
        filters=filters | {"from": start, "to": end},
        total=len(listed),
    )
