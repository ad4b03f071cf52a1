"""FHIR로 내려받기 on 내 진료기록, in a real browser against the real stack: the button downloads
`medrec-<date>.json`, one KR Core Bundle of the subject's records that an independent FHIR R4
library parses, through the portal's server (the page holds no token); the RRN is in it only
when the box is ticked; a parent acting for a child downloads the child's."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fhirclient.models.bundle import Bundle
from playwright.sync_api import expect

from medrec_devstack.cluster import Cluster
from tests.support.actors import Citizen, Institution, Operator, eventually, seed_family_link
from tests.support.browser import Person
from tests.support.builders import inline, record_body, structured_medical

pytestmark = pytest.mark.e2e

RRN, NAME, BIRTH, PHONE = "790615-2345678", "윤서진", "1979-06-15", "010-4300-0001"
CHILD_RRN, CHILD_NAME, CHILD_BIRTH = "170203-3456789", "윤도하", "2017-02-03"
CODE = "93300001"
STRUCTURED = "application/vnd.medrec.record+json"


@pytest.fixture(scope="module")
def citizen(cluster: Cluster, people) -> Person:  # type: ignore[no-untyped-def]
    clinic = Institution(cluster, *Operator(cluster).register_client([CODE]))
    transfer = clinic.open_transfer(CODE, "서진가정의학과의원")
    for external_id, rrn, name, birth in (
        ("f-1", RRN, NAME, BIRTH),
        ("f-child", CHILD_RRN, CHILD_NAME, CHILD_BIRTH),
    ):
        body = record_body(rrn, name, birth, inline(structured_medical("기침"), STRUCTURED))
        response = clinic.put_record(transfer, external_id, body)
        assert response.status_code == 201, response.text
    seed_family_link(cluster, RRN, CHILD_RRN, CHILD_NAME, CHILD_BIRTH)
    mine = Citizen(cluster, NAME, RRN, phone=PHONE)
    eventually(lambda: len(mine.records()) == 1, what="the record in catalog")
    person: Person = people()
    person.sign_in(NAME, RRN, PHONE)
    return person


def download(person: Person, *, rrn: bool = False) -> tuple[str, dict[str, Any]]:
    page = person.open("/records")
    if rrn:
        page.locator("label[for='fhir-rrn']").click()  # KRDS styles the label
        expect(page.locator("#fhir-rrn")).to_be_checked()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="FHIR로 내려받기").click()
    done = downloading.value
    bundle: dict[str, Any] = json.loads(Path(done.path()).read_text(encoding="utf-8"))
    return done.suggested_filename, bundle


def test_the_button_downloads_the_records_as_kr_core(citizen: Person) -> None:
    page = citizen.open("/records")
    expect(page.get_by_role("heading", name="FHIR로 내려받기")).to_be_visible()
    citizen.look("records-fhir")
    name, bundle = download(citizen)
    assert re.fullmatch(r"medrec-\d{4}-\d{2}-\d{2}\.json", name), name
    Bundle(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds[0] == "Patient" and "Condition" in kinds and "Organization" in kinds
    assert bundle["entry"][0]["resource"]["name"] == [{"text": NAME}]
    assert "mois.go.kr" not in json.dumps(bundle)


def test_the_rrn_only_when_the_box_is_ticked(citizen: Person) -> None:
    _, bundle = download(citizen, rrn=True)
    identifiers = bundle["entry"][0]["resource"]["identifier"]
    assert {"system": "https://mois.go.kr/rrn", "value": RRN} in identifiers


def test_a_parent_downloads_the_childs(citizen: Person) -> None:
    page = citizen.open("/children")
    page.get_by_role("button", name=re.compile(CHILD_NAME)).first.click()
    page.wait_for_url(re.compile(r"/records"))
    _, bundle = download(citizen)
    Bundle(bundle)
    assert bundle["entry"][0]["resource"]["name"] == [{"text": CHILD_NAME}]
