"""서류 발급 at the portal in a real browser, against the real stack: a citizen with a version 2
record (visits, a stay, two bills with payments, a prescription) picks 서류 종류, the
institution and a period, sees what the document will hold before asking, and gets it; 보험
청구용 gives the receipt, its 세부산정내역 and the 처방전 from one request, saying which were not
issued and why; a period with nothing shows issuance's reason (without JavaScript too). One view
of 내 진료기록 is one line in 열람 이력. At a phone's width (390 px) every list reads without
sideways scrolling, its key fields inside the screen."""

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from medrec_devstack.cluster import Cluster
from medrec_shared.rules.documents import CITIZEN_DOCUMENTS, DOCUMENT_LABELS, DocumentType
from tests.support.actors import Citizen, Institution, Operator, eventually, seed_family_link
from tests.support.browser import DESKTOP, PHONE, Person
from tests.support.builders import inline, record_body

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE_NO = "790808-1456783", "한도윤", "1979-08-08", "010-4300-0001"
CHILD_RRN, CHILD_NAME, CHILD_BIRTH = "120505-3000808", "한서준", "2012-05-05"  # 14 in 2026
CODE, CLINIC = "93300001", "푸른솔내과의원"
INSURANCE_CLAIM = "보험 청구용 (영수증·세부산정내역·처방전)"
STRUCTURED = "application/vnd.medrec.record+json"

OUTPATIENT = {  # 2025-03-04: total 50,100, the patient's 32,500, paid by card
    "number": "R-2025-0304-01", "issued_on": "2025-03-04", "visit": "outpatient",
    "period": {"from": "2025-03-04", "to": "2025-03-04"}, "department": "내과",
    "patient_category": "health_insurance", "total": 50100, "patient_total": 32500,
    "lines": [
        {"category": "consultation", "edi_code": "AA154", "name": "초진 진찰료",
         "date": "2025-03-04", "insured_copay": 4500, "insurer_paid": 10600,
         "fully_self_paid": 0, "uninsured": 0},
        {"category": "laboratory", "edi_code": "D2200", "name": "일반혈액검사",
         "date": "2025-03-04", "insured_copay": 3000, "insurer_paid": 7000,
         "fully_self_paid": 0, "uninsured": 25000},
    ],
    "payments": [{"paid_on": "2025-03-04", "method": "card", "amount": 32500}],
}  # fmt: skip
INPATIENT = {  # 2025-06-20 to 23: total 954,000, the patient's 447,000
    "number": "R-2025-0623-07", "issued_on": "2025-06-23", "visit": "inpatient",
    "inpatient_kind": "discharge", "period": {"from": "2025-06-20", "to": "2025-06-23"},
    "department": "내과", "patient_category": "health_insurance", "total": 954000,
    "patient_total": 447000,
    "lines": [
        {"category": "admission", "edi_code": "AB220", "name": "입원료", "insured_copay": 120000,
         "insurer_paid": 480000, "fully_self_paid": 0, "uninsured": 300000},
        {"category": "meals", "edi_code": "FA100", "name": "식대", "insured_copay": 27000,
         "insurer_paid": 27000, "fully_self_paid": 0, "uninsured": 0},
    ],
    "payments": [{"paid_on": "2025-06-23", "method": "card", "amount": 447000}],
}  # fmt: skip
RECORD_V2 = {
    "schema_version": "2",
    "specialty": "medical",
    "encounters": [
        {"date": "2025-03-04", "department": "내과"},
        {"date": "2025-03-11", "department": "내과"},
        {"date": "2025-06-20", "department": "내과"},
    ],
    "diagnoses": [{"code": "J20.9", "name": "급성 기관지염", "primary": True}],
    "prescriptions": [
        {
            "drug_name": "아목시실린캡슐",
            "drug_code": "642102570",
            "dose": "1",
            "unit": "캡슐",
            "frequency_per_day": 3,
            "days": 5,
            "date": "2025-03-04",
        },
    ],
    "admissions": [
        {"admitted_on": "2025-06-20", "discharged_on": "2025-06-23", "department": "내과"}
    ],
    "bills": [OUTPATIENT, INPATIENT],
}


@pytest.fixture(scope="module")
def citizen(cluster: Cluster, people: Any) -> Person:
    clinic = Institution(cluster, *Operator(cluster).register_client([CODE]))
    where = {"code": CODE, "name": CLINIC, "type": "의원", "region": "대전", "address": "대전 3"}
    transfer = clinic.open_transfer(CODE, CLINIC, institution=where)
    content = json.dumps(RECORD_V2, ensure_ascii=False).encode()
    body = record_body(
        RRN, NAME, BIRTH, inline(content, STRUCTURED), title="2025년 외래·입원 진료기록",
        service_start="2025-03-04", service_end="2025-06-23", department="내과",
    )  # fmt: skip
    response = clinic.put_record(transfer, "v2-1", body)
    assert response.status_code == 201, response.text
    child = record_body(
        CHILD_RRN, CHILD_NAME, CHILD_BIRTH, inline(content, STRUCTURED),
        title="소아 외래 진료기록", service_start="2025-03-04", service_end="2025-06-23",
    )  # fmt: skip
    assert clinic.put_record(transfer, "v2-child", child).status_code == 201
    seed_family_link(cluster, RRN, CHILD_RRN, CHILD_NAME, CHILD_BIRTH)
    own = Citizen(cluster, NAME, RRN, phone=PHONE_NO)
    eventually(
        lambda: [r["institution"]["name"] for r in own.records()] == [CLINIC],
        what="the record in catalog, with its institution's name",
    )
    person: Person = people()
    person.extra["api"] = own
    person.sign_in(NAME, RRN, PHONE_NO)
    return person


def choose(page: Page, document: str, start: str, end: str) -> None:
    page.get_by_label("서류 종류").select_option(label=document)
    page.get_by_label("의료기관").select_option(CODE)
    page.get_by_label("기간 시작").fill(start)
    page.get_by_label("기간 끝").fill(end)
    page.get_by_role("button", name="미리보기").click()
    expect(page.get_by_role("heading", name="미리보기")).to_be_visible()


def card_of(page: Page, label: str) -> Locator:
    """The preview's card of one document."""
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=label, exact=True)
    )


def test_one_view_of_the_records_page_is_one_line_in_the_access_log(citizen: Person) -> None:
    api: Citizen = citizen.extra["api"]
    settled = api.mark_access_log()
    page = citizen.open("/records")
    expect(page.get_by_role("rowheader", name="2025년 외래·입원 진료기록")).to_be_visible()
    expect(page.get_by_label("의료기관").locator("option", has_text=CLINIC)).to_have_count(1)
    between = api.access_between(settled, api.mark_access_log())
    assert [(e["action"], e["resource_id"]) for e in between] == [("list", "1 records")]


def test_a_treatment_confirmation_for_a_period_shows_its_visits_then_is_issued(
    citizen: Person,
) -> None:
    page = citizen.open("/records")
    page.get_by_role("link", name=re.compile("서류 발급 신청")).click()
    page.wait_for_url(re.compile(r"/documents/new$"))
    options = page.get_by_label("서류 종류").locator("option")
    for kind, label in DOCUMENT_LABELS.items():
        # a copy is chosen record by record on 내 진료기록; the 이관확인서 is the depositor's
        offered = kind in CITIZEN_DOCUMENTS and kind != DocumentType.record_copy
        expect(options.filter(has_text=label)).to_have_count(1 if offered else 0)
    expect(options.filter(has_text=INSURANCE_CLAIM)).to_have_count(1)
    citizen.look("portal-documents-new")
    choose(page, "진료확인서", "2025-03-01", "2025-03-31")
    card = card_of(page, "진료확인서")
    expect(card).to_contain_text("2025-03-04")
    expect(card).to_contain_text("2025-03-11")
    expect(card).not_to_contain_text("2025-06-20")  # outside the period
    expect(card).to_contain_text("포함하지 않음")  # 진단명 not asked
    citizen.look("portal-documents-preview")
    page.get_by_role("button", name="신청", exact=True).click()
    page.wait_for_url(re.compile(r"/copies/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("진료확인서")
    status = page.get_by_role("row", name=re.compile("^상태"))
    expect(status).to_contain_text("발급 완료", timeout=180_000)
    expect(page.get_by_role("row", name=re.compile("^서류 종류"))).to_contain_text("진료확인서")
    citizen.look("portal-documents-copy")


def test_insurance_claim_gives_the_three_and_says_what_was_not_issued(citizen: Person) -> None:
    page = citizen.open("/documents/new")
    choose(page, INSURANCE_CLAIM, "2025-03-01", "2025-06-30")
    for label in ("진료비 계산서·영수증", "진료비 세부산정내역", "처방전 사본"):
        expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()
    receipt = card_of(page, "진료비 계산서·영수증")
    for shown in ("R-2025-0304-01", "50,100원", "32,500원", "R-2025-0623-07", "954,000원",
                  "447,000원", "2025-06-20 ~ 2025-06-23"):  # fmt: skip
        expect(receipt).to_contain_text(shown)
    prescriptions = card_of(page, "처방전 사본")
    expect(prescriptions).to_contain_text("1건")
    citizen.look("portal-documents-insurance")
    page.get_by_role("button", name="신청", exact=True).click()
    page.wait_for_url(re.compile(r"/copies\?requested=3$"))
    expect(page.get_by_role("status").first).to_contain_text("서류 3건을 신청했습니다")
    for label in ("진료비 계산서·영수증", "진료비 세부산정내역", "처방전 사본"):
        expect(page.locator("tbody tr").filter(has_text=label)).to_have_count(1)

    # June: the stay's bill, but no prescription: two issued, and the third said why not.
    page = citizen.open("/documents/new")
    choose(page, INSURANCE_CLAIM, "2025-06-01", "2025-06-30")
    prescriptions = card_of(page, "처방전 사본")
    expect(prescriptions.get_by_role("status")).to_contain_text("없습니다")
    expect(page.get_by_text("내용이 있는 서류 2건만 발급합니다")).to_be_visible()
    page.get_by_role("button", name="신청", exact=True).click()
    page.wait_for_url(re.compile(r"/copies\?requested=2$"))
    notice = page.locator(".portal-alert-info")
    expect(notice).to_contain_text("발급하지 않은 서류")
    expect(notice).to_contain_text("처방전 사본:")
    page.reload()  # said once
    expect(page.locator(".portal-alert-info")).to_have_count(0)


def test_a_period_with_nothing_shows_the_reason_without_javascript(
    citizen: Person, people: Any
) -> None:
    page = citizen.open("/documents/new")
    choose(page, "진료비 납입확인서", "2024-01-01", "2024-12-31")
    card = card_of(page, "진료비 납입확인서")
    expect(card.get_by_role("status")).to_contain_text("선택한 기간에")
    expect(page.get_by_role("button", name="신청", exact=True)).to_have_count(0)
    citizen.look("portal-documents-nothing")
    # The same session in a browser with JavaScript off: plain forms, the same answers.
    nojs: Person = people(java_script_enabled=False)
    nojs.context.add_cookies([{**c} for c in citizen.context.cookies()])
    page = nojs.open("/documents/new")
    choose(page, "진료비 납입확인서", "2024-01-01", "2024-12-31")
    expect(card_of(page, "진료비 납입확인서").get_by_role("status")).to_contain_text("없습니다")
    # 2025's payments, for 연말정산: both, and their total.
    choose(page, "진료비 납입확인서", "2025-01-01", "2025-12-31")
    card = card_of(page, "진료비 납입확인서")
    expect(card).to_contain_text("32,500원")
    expect(card).to_contain_text("479,500원")
    # A backward period is refused at its field, before issuance is asked.
    page.get_by_label("기간 시작").fill("2025-12-31")
    page.get_by_label("기간 끝").fill("2025-01-01")
    page.get_by_role("button", name="미리보기").click()
    expect(page.get_by_label("기간 끝")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#to-error")).to_contain_text("시작 이후의 올바른 날짜")


def test_a_guardian_asks_for_the_childs_treatment_confirmation(citizen: Person) -> None:
    page = citizen.open("/children")
    page.get_by_role("button", name=f"{CHILD_NAME}님 대신 보기").click()
    page.wait_for_url(re.compile(r"/records"))
    try:
        record = page.get_by_role("rowheader", name="소아 외래 진료기록")
        for _ in range(100):  # the child's record may still be on its way to catalog
            if record.count():
                break
            page.reload()
        page = citizen.open("/documents/new")
        expect(page.get_by_role("region", name="대리 열람 중")).to_contain_text(CHILD_NAME)
        page.locator("label[for='include_diagnoses']").click()  # KRDS styles the label
        choose(page, "진료확인서", "2025-03-01", "2025-03-31")
        card = card_of(page, "진료확인서")
        expect(card).to_contain_text("2025-03-11")
        expect(card.get_by_text("포함", exact=True)).to_be_visible()  # 진단명 asked for
        page.get_by_role("button", name="신청", exact=True).click()
        page.wait_for_url(re.compile(r"/copies/[0-9a-f-]+$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("진료확인서")
        expect(page.get_by_role("region", name="대리 열람 중")).to_contain_text(CHILD_NAME)
    finally:
        page = citizen.open("/records")
        page.get_by_role("button", name="대리 종료").click()
        page.wait_for_url(re.compile(r"/children$"))


FITS = """() => {
    const width = window.innerWidth;
    const off = [];
    for (const el of document.querySelectorAll('main *')) {
        if (el.closest('thead, caption, .sr-only')) { continue; }  // for screen readers only
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
            off.push(el.tagName + ' ' + (el.textContent || '').trim().slice(0, 30));
        }
    }
    return {scroll: document.documentElement.scrollWidth, width, off: off.slice(0, 5)};
}"""


def reads_on_a_phone(page: Page, *texts: str) -> None:
    """No sideways scrolling, nothing of the page's content past either edge, and each of `texts`
    shown (visible, inside the screen's width)."""
    fit = page.evaluate(FITS)
    assert fit["scroll"] <= fit["width"], (page.url, fit)
    assert not fit["off"], (page.url, fit)
    for text in texts:
        inside(page.locator("main").get_by_text(text, exact=False).first)


def inside(shown: Locator) -> None:
    """Visible, and all of it within the phone's width."""
    expect(shown).to_be_visible()
    box = shown.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def test_every_list_reads_on_a_phone(citizen: Person) -> None:
    page = citizen.page
    page.set_viewport_size(PHONE)
    try:
        page = citizen.open("/records")
        reads_on_a_phone(
            page, "2025년 외래·입원 진료기록", "2025-03-04 ~ 2025-06-23", "2035-06-23까지"
        )
        citizen.look("portal-records")
        page.set_viewport_size(PHONE)
        page = citizen.open("/copies")
        reads_on_a_phone(page, "진료비 세부산정내역", "진료확인서")
        row = page.locator("tbody tr").first
        for cell in ("th", ".portal-code", "td[data-label='서류 종류']",
                     "td[data-label='신청일']", "td[data-label='상태']"):  # fmt: skip
            inside(row.locator(cell))
        day = row.locator("td[data-label='신청일']").inner_text()
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}$", day), day  # all of the date
        citizen.look("portal-copies")
        for path, texts in (
            ("/access-log", ("기록 목록 조회",)),
            ("/children", ()),
            ("/institutions?q=푸른솔", (CLINIC, "누가 보관하는지")),
            ("/proxy", ()),
        ):
            page.set_viewport_size(PHONE)
            page = citizen.open(path)
            reads_on_a_phone(page, *texts)
        page.set_viewport_size(PHONE)
        page = citizen.open("/documents/new")
        reads_on_a_phone(page, "서류 종류", "기간 시작", "진단명 포함")
        choose(page, INSURANCE_CLAIM, "2025-01-01", "2025-12-31")
        reads_on_a_phone(page, "R-2025-0623-07", "954,000원", "2025-06-20 ~ 2025-06-23")
    finally:
        page.set_viewport_size(DESKTOP)
