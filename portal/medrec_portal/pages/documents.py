"""서류 발급 신청: the subject (or a guardian acting for a child) picks a document (서류 종류), the
institution and the period, sees what it will hold (미리보기, issuance's preview) and asks for it
(신청). 보험 청구용 is three documents from one request: each that has something to show is
issued, and the citizen is told which were not and why (issuance's reason).

What a document holds, and whether there is anything to show, is issuance's answer (the rules are
medrec_shared.rules.documents'); the page only asks and shows. Every step is a plain form posted
with the session's CSRF token: the page works without JavaScript. 진료기록 사본 keeps its own
flow: records chosen on 내 진료기록."""

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medrec_portal.clients.http import ApiProblem
from medrec_portal.clients.issuance import DocumentAsked
from medrec_portal.clients.models import DocumentPreview, Issuance
from medrec_portal.pages.records import institutions_held
from medrec_portal.web import Page, PageDep
from medrec_shared.rules.documents import (
    DIAGNOSES_ON_REQUEST,
    DOCUMENT_LABELS,
    INSURANCE_CLAIM,
    MADE_FROM_ENTRIES,
    DocumentType,
)

router = APIRouter()

INSURANCE = "insurance_claim"
#: The choices of 서류 종류: each document made from entries, and 보험 청구용 (three of them).
CHOICES: dict[str, str] = {
    t.value: DOCUMENT_LABELS[t] for t in DocumentType if t in MADE_FROM_ENTRIES
} | {INSURANCE: "보험 청구용 (영수증·세부산정내역·처방전)"}
PURPOSES = ("보험 청구", "연말정산", "본인 보관", "법원·관공서 제출", "기타")
NOTHING_TO_SHOW = "nothing-to-show"


@dataclass
class DocumentForm:
    """The request form's fields, their Korean messages and their checks, in one place."""

    choice: str = ""
    institution: str = ""
    start: str = ""
    end: str = ""
    include_diagnoses: bool = False
    purpose: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def posted(cls, request: Request, institutions: dict[str, str]) -> "DocumentForm":
        data = await request.form(max_files=0, max_fields=16)
        text = {k: str(data.get(k) or "").strip()[:200] for k in
                ("document", "institution", "from", "to", "purpose")}  # fmt: skip
        form = cls(
            choice=text["document"], institution=text["institution"], start=text["from"],
            end=text["to"], include_diagnoses=data.get("include_diagnoses") == "1",
            purpose=text["purpose"],
        )  # fmt: skip
        form.check(institutions)
        return form

    def check(self, institutions: dict[str, str]) -> None:
        if self.choice not in CHOICES:
            self.errors["document"] = "서류 종류를 목록에서 골라 주세요."
        if self.institution not in institutions:
            self.errors["institution"] = "의료기관을 목록에서 골라 주세요."
        start, end = _day(self.start), _day(self.end)
        if start is None:
            self.errors["from"] = "기간 시작을 올바른 날짜(예: 2025-01-01)로 입력해 주세요."
        if end is None or (start is not None and end < start):
            self.errors["to"] = "기간 끝을 시작 이후의 올바른 날짜(예: 2025-12-31)로 입력해 주세요."
        if self.purpose not in PURPOSES:
            self.purpose = ""

    @property
    def types(self) -> list[str]:
        """The documents this request asks for."""
        if self.choice == INSURANCE:
            return [t.value for t in INSURANCE_CLAIM]
        return [self.choice]

    def asked(self, document_type: str) -> DocumentAsked:
        start, end = _day(self.start), _day(self.end)
        assert start is not None and end is not None  # checked
        diagnoses = self.include_diagnoses and DocumentType(document_type) in DIAGNOSES_ON_REQUEST
        return DocumentAsked(
            document_type=document_type, institution_code=self.institution, start=start,
            end=end, include_diagnoses=diagnoses, purpose=self.purpose,
        )  # fmt: skip


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


@dataclass
class Shown:
    """One document of the request: what issuance's preview says it holds, or why nothing."""

    document_type: str
    label: str
    preview: DocumentPreview | None = None
    reason: str | None = None


def _reason(problem: ApiProblem) -> str | None:
    """Issuance's Korean reason when there is nothing to show; other problems are raised."""
    if problem.status == 422 and problem.kind == NOTHING_TO_SHOW:
        return problem.detail or "선택한 기간에 발급할 내용이 없습니다."
    raise problem


def _render(
    page: Page, form: DocumentForm, institutions: dict[str, str], status: int = 200, **more: object
) -> HTMLResponse:
    status = 422 if form.errors else status
    return page.render(
        "documents.html", status_code=status, nav="documents", form=form, choices=CHOICES,
        institutions=institutions, purposes=PURPOSES, diagnoses_types=sorted(DIAGNOSES_ON_REQUEST),
        problem="입력한 내용을 확인해 주세요." if form.errors else None, **more,
    )  # fmt: skip


@router.get("/documents/new", response_class=HTMLResponse)
async def new(
    page: PageDep,
    document: Annotated[str, Query(max_length=32)] = "",
    institution: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    token = page.require_signed_in()
    institutions = await institutions_held(page, token)
    form = DocumentForm(choice=document if document in CHOICES else "", institution=institution)
    return _render(page, form, institutions, shown=[])


@router.post("/documents/preview", response_class=HTMLResponse)
async def preview(page: PageDep, request: Request) -> HTMLResponse:
    token = page.require_signed_in()
    institutions = await institutions_held(page, token)
    form = await DocumentForm.posted(request, institutions)
    shown: list[Shown] = []
    if not form.errors:
        for document_type in form.types:
            one = Shown(document_type, CHOICES[document_type])
            try:
                one.preview = await page.issuance.preview(token, form.asked(document_type))
            except ApiProblem as problem:
                one.reason = _reason(problem)
            shown.append(one)
    return _render(page, form, institutions, shown=shown, previewed=not form.errors)


@router.post("/documents", response_class=HTMLResponse)
async def request_documents(page: PageDep, request: Request) -> Response:
    """신청: one issuance per document that has something to show. One document → its page;
    several (보험 청구용) → 발급 이력, which says what was not issued and why."""
    token = page.require_signed_in()
    institutions = await institutions_held(page, token)
    form = await DocumentForm.posted(request, institutions)
    if form.errors:
        return _render(page, form, institutions, shown=[])
    created: list[Issuance] = []
    skipped: list[Shown] = []
    for document_type in form.types:
        try:
            created.append(await page.issuance.request_document(token, form.asked(document_type)))
        except ApiProblem as problem:
            skipped.append(Shown(document_type, CHOICES[document_type], reason=_reason(problem)))
    if not created:  # nothing to show in any of them: the reasons, and nothing stored
        return _render(page, form, institutions, 422, shown=skipped, previewed=True)
    if len(form.types) == 1:
        return RedirectResponse(f"/copies/{created[0].issuance_id}", status_code=303)
    page.data.notices = [f"{s.label}: {s.reason}" for s in skipped]
    await page.save()
    return RedirectResponse(f"/copies?requested={len(created)}", status_code=303)
