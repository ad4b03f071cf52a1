"""The forms of 이관, 파기, 기관 연동, 감사 로그 and 직원 관리 (to join medrec_console.forms): each a
class reading its own fields, bounded, with its Korean messages and validation in one place. A
search's form reads the query (`request.query_params`), an act's the posted body; both are
starlette multi-dicts.

A form only checks what a person typed; whether the act is allowed (a scope, a region, two
people) is the API's to answer, and its problem is shown as it says."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Self

from starlette.datastructures import ImmutableMultiDict

from medrec_shared.rules import staff
from medrec_shared.rules.events import REVIEW_REASON_MAX

INSTITUTION_CODE = re.compile(r"\d{8}")
RECORD_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
LOGIN = re.compile(r"[a-z][a-z0-9._-]{2,63}")
ACT = re.compile(r"[a-z0-9_.:-]+")

# The 17 시·도 by their administrative code: a health centre's region, and 이관's filter.
REGIONS: dict[str, str] = {
    "11": "서울특별시", "26": "부산광역시", "27": "대구광역시", "28": "인천광역시",
    "29": "광주광역시", "30": "대전광역시", "31": "울산광역시", "36": "세종특별자치시",
    "41": "경기도", "43": "충청북도", "44": "충청남도", "46": "전라남도", "47": "경상북도",
    "48": "경상남도", "50": "제주특별자치도", "51": "강원특별자치도", "52": "전북특별자치도",
}  # fmt: skip
TRANSFER_STATUS = {"open": "이관 중", "completed": "이관 완료", "released": "반환됨"}
ORGANISATIONS = {staff.SERVICE_ORGANISATION: "보관기관", "hc": "보건소"}
# What an institution client may be given: the transfer API, or operations a machine account may
# hold (rules/staff.MACHINE_SCOPES); never `admin`, never a decision about a person's records.
CLIENT_SCOPES: dict[str, str] = {
    "transfer:write": "이관 (기관의 진료기록 보내기)",
    staff.STATS_READ: "현황 보기",
    staff.TRANSFERS_OVERSEE: "이관 현황 보기",
    staff.RETENTION_MANAGE: "보존기간 점검·연장",
    staff.DESTRUCTIONS_READ: "파기 기록 보기",
    staff.SWEEPS_RUN: "반환·정리 작업 실행",
    staff.CLIENTS_MANAGE: "기관 연동 관리",
    staff.DEAD_LETTERS_MANAGE: "장애 이벤트 재처리",
    staff.KEYS_MANAGE: "키 작업 실행",
}
DEAD_LETTER_STATUS = {"parked": "보류", "retry_requested": "재처리 요청됨", "retried": "재처리됨"}

Posted = ImmutableMultiDict[str, str] | ImmutableMultiDict[str, object]


def _text(form: Posted, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _many(form: Posted, name: str, limit: int = 20) -> list[str]:
    return sorted({v.strip() for v in form.getlist(name)[:limit] if isinstance(v, str)} - {""})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class Form:
    errors: dict[str, str] = field(default_factory=dict, init=False)

    def valid(self) -> bool:
        self.errors = self.check()
        return not self.errors

    def check(self) -> dict[str, str]:
        raise NotImplementedError


# -- 이관 ---------------------------------------------------------------------------------------
@dataclass
class TransferFilterForm(Form):
    """이관's filters (the query): a region (a health centre's person has theirs, fixed) and a
    status; either may be 전체 (empty)."""

    region: str = ""
    status: str = ""

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(region=_text(form, "region", 8), status=_text(form, "status", 16))

    def check(self) -> dict[str, str]:
        errors = {}
        if self.region and self.region not in REGIONS:
            errors["region"] = "지역을 목록에서 골라 주세요."
        if self.status and self.status not in TRANSFER_STATUS:
            errors["status"] = "상태를 목록에서 골라 주세요."
        return errors


# -- 파기 ---------------------------------------------------------------------------------------
@dataclass
class DestructionFilterForm(Form):
    institution: str = ""

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(institution=_text(form, "institution", 20))

    def check(self) -> dict[str, str]:
        if self.institution and not INSTITUTION_CODE.fullmatch(self.institution):
            return {"institution": "요양기관기호는 숫자 8자리로 입력해 주세요."}
        return {}


@dataclass
class RetentionExtensionForm(Form):
    """A record's retention, once more by its kind's period, with the 사유 that asks it (kept
    with the record, and in the audit trail with the person)."""

    record_id: str = ""
    reason: str = ""

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(
            record_id=_text(form, "record_id", 64).lower(),
            reason=_text(form, "reason", REVIEW_REASON_MAX + 1),
        )

    def check(self) -> dict[str, str]:
        errors = {}
        if not self.record_id:
            errors["record_id"] = "기록 ID를 입력해 주세요."
        elif not RECORD_ID.fullmatch(self.record_id):
            errors["record_id"] = "기록 ID는 8-4-4-4-12자리의 UUID 형식으로 입력해 주세요."
        if not self.reason:
            errors["reason"] = "사유를 입력해 주세요."
        elif len(self.reason) > REVIEW_REASON_MAX:
            errors["reason"] = f"사유는 {REVIEW_REASON_MAX}자까지 쓸 수 있습니다."
        return errors


# -- 기관 연동 ----------------------------------------------------------------------------------
@dataclass
class ClientRegistrationForm(Form):
    """An institution client: its name, the institutions it transfers for, its scopes."""

    name: str = ""
    institution_codes: str = ""
    scopes: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(
            name=_text(form, "name", 201),
            institution_codes=_text(form, "institution_codes", 2000),
            scopes=_many(form, "scopes"),
        )

    @property
    def codes(self) -> list[str]:
        return sorted({c for c in re.split(r"[\s,]+", self.institution_codes) if c})

    def check(self) -> dict[str, str]:
        errors = {}
        if not self.name:
            errors["name"] = "기관 이름을 입력해 주세요."
        elif len(self.name) > 200:
            errors["name"] = "기관 이름은 200자까지 쓸 수 있습니다."
        if any(not INSTITUTION_CODE.fullmatch(code) for code in self.codes):
            errors["institution_codes"] = "요양기관기호는 숫자 8자리로, 여러 개는 쉼표로 구분해 입력해 주세요."
        elif "transfer:write" in self.scopes and not self.codes:
            errors["institution_codes"] = "이관 권한에는 맡을 기관의 요양기관기호가 필요합니다."
        if not self.scopes:
            errors["scopes"] = "권한을 하나 이상 골라 주세요."
        elif set(self.scopes) - set(CLIENT_SCOPES):
            errors["scopes"] = "권한을 목록에서 골라 주세요."
        return errors


# -- 감사 로그 ----------------------------------------------------------------------------------
@dataclass
class AuditSearchForm(Form):
    """감사 로그's search (the query): every criterion optional, all those given must hold."""

    actor: str = ""
    act: str = ""
    resource_id: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(
            actor=_text(form, "actor", 65),
            act=_text(form, "act", 65),
            resource_id=_text(form, "resource_id", 65),
            since=_text(form, "since", 10),
            until=_text(form, "until", 10),
        )

    @property
    def since_day(self) -> date | None:
        return _day(self.since) if self.since else None

    @property
    def until_day(self) -> date | None:
        return _day(self.until) if self.until else None

    def check(self) -> dict[str, str]:
        errors = {}
        for name in ("actor", "act", "resource_id"):
            if len(getattr(self, name)) > 64:
                errors[name] = "64자 이내로 입력해 주세요."
        if self.act and "act" not in errors and not ACT.fullmatch(self.act):
            errors["act"] = "행위는 목록에 나온 영문 이름(예: proxy_request.approve)으로 입력해 주세요."
        for name in ("since", "until"):
            if getattr(self, name) and _day(getattr(self, name)) is None:
                errors[name] = "날짜는 2026-12-07처럼 입력해 주세요."
        since, until = _day(self.since), _day(self.until)
        if since and until and since > until:
            errors["until"] = "종료일은 시작일과 같거나 그 뒤여야 합니다."
        return errors


# -- 직원 관리 ----------------------------------------------------------------------------------
@dataclass
class StaffRolesForm(Form):
    """An account's roles (and a health centre's region). `organisation` is the account's: only
    a health centre's staff hold `health_centre`, and theirs comes with a region."""

    roles: list[str] = field(default_factory=list)
    region: str = ""
    organisation: str = ""

    @classmethod
    def read(cls, form: Posted, organisation: str = "") -> Self:
        return cls(roles=_many(form, "roles"), region=_text(form, "region", 8),
                   organisation=organisation)  # fmt: skip

    @property
    def health_centre(self) -> bool:
        return self.organisation.startswith("hc")

    def check(self) -> dict[str, str]:
        errors = {}
        if not self.roles:
            errors["roles"] = "역할을 하나 이상 골라 주세요."
        elif set(self.roles) - set(staff.ROLES):
            errors["roles"] = "역할을 목록에서 골라 주세요."
        elif "health_centre" in self.roles and not self.health_centre:
            errors["roles"] = "보건소 담당자 역할은 보건소 소속 직원에게만 줄 수 있습니다."
        if self.health_centre and self.region not in REGIONS:
            errors["region"] = "보건소 직원의 지역을 골라 주세요."
        return errors


@dataclass
class StaffCreationForm(StaffRolesForm):
    """A new account: 아이디, 이름, 소속 (보관기관, or a 보건소 with its region), 역할."""

    login: str = ""
    name: str = ""

    @classmethod
    def read(cls, form: Posted, organisation: str = "") -> Self:
        return cls(
            login=_text(form, "login", 65),
            name=_text(form, "name", 101),
            organisation=_text(form, "organisation", 8),
            roles=_many(form, "roles"),
            region=_text(form, "region", 8),
        )

    @property
    def organisation_claim(self) -> str:
        """The organisation as identity records it: "khis" or "hc:<region>"."""
        return f"hc:{self.region}" if self.health_centre else staff.SERVICE_ORGANISATION

    def check(self) -> dict[str, str]:
        errors = {}
        if not self.login:
            errors["login"] = "아이디를 입력해 주세요."
        elif not LOGIN.fullmatch(self.login):
            errors["login"] = "아이디는 영문 소문자로 시작하여 영문 소문자, 숫자, 점(.), 밑줄(_), 하이픈(-)으로 3~64자로 정해 주세요."
        if not self.name:
            errors["name"] = "이름을 입력해 주세요."
        elif len(self.name) > 100:
            errors["name"] = "이름은 100자까지 쓸 수 있습니다."
        if self.organisation not in ORGANISATIONS:
            errors["organisation"] = "소속을 골라 주세요."
            return errors | {k: v for k, v in super().check().items() if k == "roles"}
        return errors | super().check()
