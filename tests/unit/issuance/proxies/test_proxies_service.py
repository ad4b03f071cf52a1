"""issuance's rules without the stack: who may see or copy what (medrec_issuance.access), when a
copy may be downloaded, what the public check calls authentic, and how an operator reviews an
Art. 21 request (each once, with the documents its relation needs)."""

import uuid

import pytest

from medrec_issuance.access import (
    may_request_for_another,
)
from medrec_issuance.models import (
    ProxyRequestStatus,
    Relation,
)
from medrec_issuance.proxies import service as proxies
from medrec_issuance.proxies.schemas import proxy_out
from medrec_shared.platform.problems import (
    Forbidden,
    NotFound,
    ValidationFailed,
)
from medrec_shared.rules.staff_acts import PersonRequired, SamePerson, second_approval
from tests.support.copies import CHILD, GUARDIAN, NOW, citizen, proxy_request, summary
from tests.support.principals import machine, staff


def test_art_21_requests_are_made_by_citizens_for_themselves() -> None:
    assert may_request_for_another(citizen("person-spouse"))
    assert not may_request_for_another(citizen(CHILD, actor=GUARDIAN))
    assert not may_request_for_another(citizen("client-x", person_key=None))
    with pytest.raises(Forbidden):
        proxies.check_may_submit(citizen(CHILD, actor=GUARDIAN))


# --- Art. 21 requests and their review ------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "provided", "missing"),
    [
        (Relation.spouse, {"consent_form"}, ["kinship_certificate"]),
        (Relation.proxy, {"consent_form", "kinship_certificate"}, ["power_of_attorney"]),
        (Relation.sibling, set(), ["consent_form", "kinship_certificate"]),
        (Relation.relative_of_deceased_or_incapable, {"kinship_certificate"}, []),
    ],
)
def test_each_relation_brings_its_documents(
    relation: Relation, provided: set[str], missing: list[str]
) -> None:
    if not missing:
        proxies.require_documents(relation, provided)
        return
    with pytest.raises(ValidationFailed) as refused:
        proxies.require_documents(relation, provided)
    assert refused.value.errors == [
        {"field": k, "message": f"required for {relation.value}"} for k in missing
    ]


def test_a_request_is_reviewed_once() -> None:
    submitted = proxy_request()
    assert proxies.check_reviewable(submitted) is submitted
    for status in (ProxyRequestStatus.approved, ProxyRequestStatus.rejected):
        with pytest.raises(proxies.AlreadyReviewed) as refused:
            proxies.check_reviewable(proxy_request(status))
        assert refused.value.status == 409
        assert refused.value.detail == f"It was {status.value}."
    with pytest.raises(NotFound):
        proxies.check_reviewable(None)


def test_a_review_records_who_decided_when_and_why() -> None:
    request = proxy_request()
    proxies.mark_reviewed(
        request, ProxyRequestStatus.rejected, operator=staff("kim"), reason="서명 불일치", now=NOW
    )
    assert (request.status, request.reason) == (ProxyRequestStatus.rejected, "서명 불일치")
    assert (request.reviewed_by, request.reviewed_at) == ("kim", NOW)  # the person's login
    with pytest.raises(proxies.AlreadyReviewed):
        proxies.check_reviewable(request)


def test_an_approval_is_proposed_by_one_reviewer_and_confirmed_by_another() -> None:
    request = proxy_request()
    assert not second_approval(request.proposed_by, staff("kim"))
    proxies.propose_approval(request, by=staff("kim"), reason="서류 확인", now=NOW)
    # the requester still sees it submitted, with no copy
    assert (request.status, request.issuance_id) == (ProxyRequestStatus.submitted, None)
    assert (request.proposed_by, request.proposed_at) == ("kim", NOW)
    assert proxy_out(request).reason is None  # the proposal's reason is the reviewers'
    with pytest.raises(SamePerson) as same:
        second_approval(request.proposed_by, staff("kim"))
    assert same.value.status == 409
    assert second_approval(request.proposed_by, staff("lee"))
    with pytest.raises(PersonRequired) as machine_refused:
        second_approval(request.proposed_by, machine())
    assert machine_refused.value.status == 403


def test_approval_issues_only_the_records_under_the_typed_name_to_the_requester() -> None:
    request = proxy_request()
    mine, misfiled, gone = (uuid.uuid4() for _ in range(3))
    records = [summary(r) for r in (mine, misfiled, gone)]
    names = {mine: "류 영수", misfiled: "최영식"}  # `gone`: destroyed since catalog listed it
    matching = proxies.records_under_name(records, names, "유영수")  # 두음법칙, spaces
    assert matching == [records[0]]
    assert proxies.records_under_name(records, names, "홍길동") == []
    new = proxies.approved_issuance(request, "최영수", matching)
    assert (new.requester_subject, new.requester_actor) == ("person-spouse", None)
    assert new.subject_person_key == "key-patient"
    assert new.record_ids == [mine]
    assert new.purpose == "Art. 21 (spouse)"


def test_the_reviewer_reads_the_rrn_masked_and_what_it_gives() -> None:
    typed = proxies.patient_as_typed({"name": "홍길동", "rrn": "850315-1234567"})
    assert (typed.rrn, typed.birth_date.isoformat(), typed.sex) == (
        "850315-1******",
        "1985-03-15",
        "male",
    )
    held = proxies.held_names({uuid.uuid4(): "최영수", uuid.uuid4(): "최영수"}, "홍길동")
    assert [(h.name, h.records, h.matches) for h in held] == [("최영수", 2, False)]
