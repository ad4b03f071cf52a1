"""The forms of 이관, 파기, 기관 연동, 감사 로그 and 직원 관리: what each accepts, and the Korean
sentence beside the field for each way it can be wrong (the view tests show them on the page)."""

from datetime import date

from starlette.datastructures import FormData, QueryParams

from medrec_console.forms import (
    AuditSearchForm,
    ClientRegistrationForm,
    DestructionFilterForm,
    RetentionExtensionForm,
    StaffCreationForm,
    StaffRolesForm,
    TransferFilterForm,
)

RECORD = "3f2b8c1e-0d4a-4e7b-9a51-2c6d8e9f0a1b"


def posted(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def test_the_transfer_filters_take_a_known_region_and_status_or_none() -> None:
    assert TransferFilterForm.read(QueryParams("region=11&status=open")).valid()
    assert TransferFilterForm.read(QueryParams("")).valid()
    form = TransferFilterForm.read(QueryParams("region=99&status=lost"))
    assert not form.valid()
    assert form.errors == {"region": "지역을 목록에서 골라 주세요.",
                           "status": "상태를 목록에서 골라 주세요."}  # fmt: skip


def test_a_destruction_filter_is_an_institution_code_of_eight_digits() -> None:
    assert DestructionFilterForm.read(QueryParams("institution=11000001")).valid()
    form = DestructionFilterForm.read(QueryParams("institution=1100"))
    assert not form.valid()
    assert form.errors["institution"] == "요양기관기호는 숫자 8자리로 입력해 주세요."


def test_an_extension_needs_a_record_id_and_a_reason() -> None:
    form = RetentionExtensionForm.read(posted(("record_id", RECORD.upper()), ("reason", "소송")))
    assert form.valid() and form.record_id == RECORD
    empty = RetentionExtensionForm.read(posted())
    assert not empty.valid()
    assert empty.errors == {
        "record_id": "기록 ID를 입력해 주세요.",
        "reason": "사유를 입력해 주세요.",
    }
    wrong = RetentionExtensionForm.read(posted(("record_id", "12345"), ("reason", "가" * 501)))
    assert not wrong.valid()
    assert wrong.errors["record_id"] == "기록 ID는 8-4-4-4-12자리의 UUID 형식으로 입력해 주세요."
    assert wrong.errors["reason"] == "사유는 500자까지 쓸 수 있습니다."


def test_a_client_is_registered_with_a_name_its_institutions_and_known_scopes() -> None:
    form = ClientRegistrationForm.read(posted(
        ("name", "행복소아과의원"), ("institution_codes", "11000001, 11000002 11000001"),
        ("scopes", "transfer:write"),
    ))  # fmt: skip
    assert form.valid() and form.codes == ["11000001", "11000002"]
    machine = ClientRegistrationForm.read(posted(("name", "야간 작업"), ("scopes", "sweeps:run")))
    assert machine.valid() and machine.codes == []


def test_a_client_form_says_what_is_missing_or_wrong_in_korean() -> None:
    form = ClientRegistrationForm.read(posted(("institution_codes", "1100")))
    assert not form.valid()
    assert form.errors == {
        "name": "기관 이름을 입력해 주세요.",
        "institution_codes": "요양기관기호는 숫자 8자리로, 여러 개는 쉼표로 구분해 입력해 주세요.",
        "scopes": "권한을 하나 이상 골라 주세요.",
    }
    admin = ClientRegistrationForm.read(posted(("name", "x"), ("scopes", "admin")))
    assert not admin.valid() and admin.errors["scopes"] == "권한을 목록에서 골라 주세요."
    no_codes = ClientRegistrationForm.read(posted(("name", "x"), ("scopes", "transfer:write")))
    assert not no_codes.valid()
    assert (
        no_codes.errors["institution_codes"]
        == "이관 권한에는 맡을 기관의 요양기관기호가 필요합니다."
    )


def test_an_audit_search_takes_any_criteria_and_days_in_order() -> None:
    form = AuditSearchForm.read(QueryParams("actor=kim.platform&since=2026-12-01&until=2026-12-07"))
    assert form.valid()
    assert (form.since_day, form.until_day) == (date(2026, 12, 1), date(2026, 12, 7))
    assert AuditSearchForm.read(QueryParams("")).valid()
    wrong = AuditSearchForm.read(QueryParams("act=DROP TABLE&since=2026-13-01&until=2026-12-01"))
    assert not wrong.valid()
    assert wrong.errors["act"].startswith("행위는 목록에 나온 영문 이름")
    assert wrong.errors["since"] == "날짜는 2026-12-07처럼 입력해 주세요."
    backwards = AuditSearchForm.read(QueryParams("since=2026-12-07&until=2026-12-01"))
    assert not backwards.valid()
    assert backwards.errors == {"until": "종료일은 시작일과 같거나 그 뒤여야 합니다."}


def test_a_new_staff_account_names_its_organisation_as_identity_records_it() -> None:
    service = StaffCreationForm.read(posted(
        ("login", "lee.review"), ("name", "이심사"), ("organisation", "khis"),
        ("roles", "reviewer"), ("roles", "auditor"), ("region", "11"),
    ))  # fmt: skip
    assert service.valid()
    assert (service.organisation_claim, service.roles) == ("khis", ["auditor", "reviewer"])
    assert service.region_claim is None, "a region only with the oversight of one"
    centre = StaffCreationForm.read(posted(
        ("login", "park.hc11"), ("name", "박보건"), ("organisation", "hc"),
        ("roles", "health_centre"), ("region", "11"),
    ))  # fmt: skip
    assert centre.valid() and centre.organisation_claim == "hc:11"
    assert centre.region_claim == "11"


def test_a_staff_form_says_what_is_wrong_in_korean() -> None:
    form = StaffCreationForm.read(posted(("login", "Kim!"), ("organisation", "hc")))
    assert not form.valid()
    assert form.errors == {
        "login": "아이디는 영문 소문자로 시작하여 영문 소문자, 숫자, 점(.), 밑줄(_), "
        "하이픈(-)으로 3~64자로 정해 주세요.",
        "name": "이름을 입력해 주세요.",
        "roles": "역할을 하나 이상 골라 주세요.",
        "region": "보건소 직원의 지역을 골라 주세요.",
    }
    service_hc = StaffCreationForm.read(posted(
        ("login", "kim.x"), ("name", "김"), ("organisation", "khis"), ("roles", "health_centre"),
    ))  # fmt: skip
    assert not service_hc.valid()
    assert service_hc.errors == {"region": "보건소 담당자 역할에는 지역이 필요합니다."}
    unknown = StaffRolesForm.read(posted(("roles", "admin")), organisation="khis")
    assert not unknown.valid() and unknown.errors == {"roles": "역할을 목록에서 골라 주세요."}
