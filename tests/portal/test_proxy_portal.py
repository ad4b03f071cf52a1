"""A spouse's request under Art. 21 at the portal: the form with its documents, a missing
document named at its field, and the request's status once submitted."""

from typing import Any

import pytest
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually
from tests.support.browser import Person
from tests.support.builders import inline, record_body

pytestmark = pytest.mark.e2e

PATIENT_RRN, PATIENT_NAME, BIRTH = "470808-1234562", "강만복", "1947-08-08"
SPOUSE_RRN, SPOUSE_NAME, SPOUSE_PHONE = "500909-2234563", "이순례", "010-4300-0001"
CONSENT = b"%PDF-1.4 consent form signed by the patient"
KINSHIP = b"\x89PNG\r\n\x1a\n family relation certificate"


@pytest.fixture(scope="module")
def spouse(cluster: Cluster, people: Any) -> Person:
    clinic = Institution(cluster, *Operator(cluster).register_client(["93300001"]))
    transfer = clinic.open_transfer("93300001", "평안요양병원")
    body = record_body(PATIENT_RRN, PATIENT_NAME, BIRTH, inline("간호".encode(), "text/plain"),
                       kind="nursing_record", service_start="2025-10-01",
                       service_end="2025-10-02")  # fmt: skip
    assert clinic.put_record(transfer, "px-1", body).status_code == 201
    patient = Citizen(cluster, PATIENT_NAME, PATIENT_RRN, phone="010-4300-0002")
    eventually(lambda: len(patient.records()) == 1, what="the patient's record")
    person: Person = people()
    person.sign_in(SPOUSE_NAME, SPOUSE_RRN, SPOUSE_PHONE)
    return person


def fill(page: Any) -> None:
    page.get_by_label("환자 이름").fill(PATIENT_NAME)
    page.get_by_label("환자 주민등록번호").fill(PATIENT_RRN)
    page.get_by_label("환자와의 관계").select_option("spouse")


def test_a_missing_document_is_named_at_its_field(spouse: Person) -> None:
    page = spouse.open("/proxy")
    spouse.look("proxy")
    fill(page)
    page.get_by_label("환자의 동의서").set_input_files(
        {"name": "consent.pdf", "mimeType": "application/pdf", "buffer": CONSENT}
    )
    page.get_by_role("button", name="대리 신청").click()
    field = page.get_by_label("가족관계증명서")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    expect(page.locator(f"#{described.split()[-1]}")).to_contain_text("파일을 올려 주세요")
    expect(page.get_by_role("alert").first).to_be_visible()
    assert PATIENT_RRN not in page.content()  # never echoed back
    spouse.look("proxy-error")


def test_a_spouse_submits_a_request_with_its_documents_and_sees_its_status(
    spouse: Person,
) -> None:
    page = spouse.open("/proxy")
    fill(page)
    page.get_by_label("환자의 동의서").set_input_files(
        {"name": "consent.pdf", "mimeType": "application/pdf", "buffer": CONSENT}
    )
    page.get_by_label("가족관계증명서").set_input_files(
        {"name": "kinship.png", "mimeType": "image/png", "buffer": KINSHIP}
    )
    page.get_by_role("button", name="대리 신청").click()
    expect(page.get_by_role("status")).to_contain_text("신청이 접수되었습니다")
    expect(page.locator("td.proxy-status").first).to_have_text("접수됨 (심사 중)")
    spouse.look("proxy-submitted")


def test_the_status_shows_in_another_browser_too(spouse: Person, people: Any) -> None:
    """The list is issuance's (the requester's own requests), not this browser session's."""
    elsewhere: Person = people()
    elsewhere.sign_in(SPOUSE_NAME, SPOUSE_RRN, SPOUSE_PHONE)
    page = elsewhere.open("/proxy")
    expect(page.locator("td.proxy-status").first).to_have_text("접수됨 (심사 중)")
    expect(page.locator("tbody tr").first).to_contain_text("배우자")
