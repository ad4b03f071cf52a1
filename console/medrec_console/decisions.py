"""The two-person decision form both review queues post (연계 검토, 대리 신청 검토): 승인 or
반려 with a 사유, sent to the service that owns the decision. A form that does not hold is shown
again (422) with what to fix; a refusal the service explains (a status below 500, other than
401) is shown on the item's page in Korean; anything else goes to the problem pages. A decision
made answers with a redirect to the item (POST/redirect/GET), saying whether it was proposed
(awaiting a second reviewer), approved or rejected."""

import uuid
from collections.abc import Awaitable
from typing import Protocol

from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_console import messages
from medrec_console.clients.http import ApiProblem
from medrec_console.forms import DecisionForm
from medrec_console.web import Page


class Decided(Protocol):
    @property
    def status(self) -> str: ...


class Decider(Protocol):
    """The client of the service that owns the decision (catalog's linkage, issuance's proxy
    requests)."""

    def approve(self, token: str, item_id: uuid.UUID, reason: str, /) -> Awaitable[Decided]: ...

    def reject(self, token: str, item_id: uuid.UUID, reason: str, /) -> Awaitable[Decided]: ...


class Detail(Protocol):
    """The item's page, drawn again with the form and what went wrong."""

    def __call__(
        self, *, status_code: int, form: DecisionForm, problem: str
    ) -> Awaitable[HTMLResponse]: ...


async def decide(
    page: Page, token: str, item_id: uuid.UUID, *, decider: Decider, detail: Detail, url: str
) -> Response:
    form = DecisionForm.read(await page.form())
    if not form.valid():
        return await detail(status_code=422, form=form, problem=messages.PROBLEMS["validation"])
    try:
        if form.decision == "approve":
            decided = await decider.approve(token, item_id, form.reason)
        else:
            decided = await decider.reject(token, item_id, form.reason)
    except ApiProblem as problem:
        if problem.status >= 500 or problem.status == 401:
            raise
        return await detail(
            status_code=problem.status, form=form, problem=messages.sentence(problem)
        )
    # A first reviewer's approval leaves the item as it was, awaiting a second's: "proposed".
    done = decided.status if decided.status in ("approved", "rejected") else "proposed"
    return RedirectResponse(f"{url}?done={done}", status_code=303)
