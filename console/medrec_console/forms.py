"""The console's forms, one class each: the fields a form posts, their Korean messages and their
validation in one place (notifications-admin's forms.py), so a page only reads a form, asks it
for its errors and acts on its values.

A form reads only its own fields from the posted body (the CSRF token is checked before, app-wide,
by `web.require_csrf`); every value is bounded, so a page never holds more than a form's worth.
Passwords are never put back into a page that is shown again."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Self

from starlette.datastructures import FormData, ImmutableMultiDict

from medrec_shared.rules import staff
from medrec_shared.rules.custody import CUSTODY_LABELS, CustodyStatus
from medrec_shared.rules.events import REVIEW_REASON_MAX
from medrec_shared.rules.regions import REGION_NAMES

# What a form is read from: a posted body (FormData) or, for a search, the query.
Posted = ImmutableMultiDict[str, Any]


def _text(form: Posted, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@dataclass
class Form:
    errors: dict[str, str] = field(default_factory=dict, init=False)

    def valid(self) -> bool:
        self.errors = self.check()
        return not self.errors

    def check(self) -> dict[str, str]:
        raise NotImplementedError


@dataclass
class SignInForm(Form):
    """아이디, 비밀번호, 일회용 비밀번호 (the six digits of the authenticator app)."""

    login: str = ""
    password: str = ""
    totp: str = ""
    next: str = "/"

    @classmethod
    def read(cls, form: FormData) -> Self:
        return cls(
            login=_text(form, "login", 100),
            # A password is taken as typed (spaces and all), bounded.
            password=str(form.get("password") or "")[:256],
            totp=_text(form, "totp", 12).replace(" ", ""),
            next=_text(form, "next", 200),
        )

    def check(self) -> dict[str, str]:
        errors = {}
        if not self.login:
            errors["login"] = "아이디를 입력해 주세요."
        if not self.password:
            errors["password"] = "비밀번호를 입력해 주세요."  # noqa: S105 - a message
        if not (self.totp.isdigit() and len(self.totp) == 6):
            errors["totp"] = "인증 앱에 표시된 6자리 숫자를 입력해 주세요."
        return errors


@dataclass
class PasswordForm(Form):
    """새 비밀번호 and 새 비밀번호 확인 (first sign-in, or after a reset). identity decides what is
    strong enough; the console checks only what it can say at once."""

    MIN_LENGTH: ClassVar[int] = 12
    new_password: str = ""
    confirm: str = ""

    @classmethod
    def read(cls, form: FormData) -> Self:
        return cls(
            new_password=str(form.get("new_password") or "")[:256],
            confirm=str(form.get("confirm") or "")[:256],
        )

    def check(self) -> dict[str, str]:
        errors = {}
        if len(self.new_password) < self.MIN_LENGTH:
            errors["new_password"] = f"새 비밀번호는 {self.MIN_LENGTH}자 이상이어야 합니다."
        elif self.confirm != self.new_password:
            errors["confirm"] = "새 비밀번호 확인이 새 비밀번호와 다릅니다."
        return errors


@dataclass
class DecisionForm(Form):
    """승인 or 반려, with the 사유 kept with the decision (and shown in the person's access
    history, hence its bound)."""

    DECISIONS: ClassVar[dict[str, str]] = {"approve": "승인", "reject": "반려"}
    decision: str = ""
    reason: str = ""

    @classmethod
    def read(cls, form: FormData) -> Self:
        return cls(
            decision=_text(form, "decision", 16),
            reason=_text(form, "reason", REVIEW_REASON_MAX + 1),
        )

    def check(self) -> dict[str, str]:
        errors = {}
        if self.decision not in self.DECISIONS:
            errors["decision"] = "승인 또는 반려를 골라 주세요."
        if not self.reason:
            errors["reason"] = "사유를 입력해 주세요."
        elif len(self.reason) > REVIEW_REASON_MAX:
            errors["reason"] = f"사유는 {REVIEW_REASON_MAX}자까지 쓸 수 있습니다."
        return errors


def _many(form: Posted, name: str, limit: int = 20) -> list[str]:
    return sorted({v.strip() for v in form.getlist(name)[:limit] if isinstance(v, str)} - {""})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


INSTITUTION_CODE = re.compile(r"\d{8}")
RECORD_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
LOGIN = re.compile(r"[a-z][a-z0-9._-]{2,63}")
ACT = re.compile(r"[a-z0-9_.:-]+")

# The 17 시·도 by their administrative code (a health centre's region, 이관's filter), named in full.
REGIONS: dict[str, str] = {code: names[1] for code, names in REGION_NAMES.items()}
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


# -- 폐업 의료기관 ----------------------------------------------------------------------------------
# What staff may declare (rules/custody.DECLARED); held and transferring follow from transfers.
CUSTODY_DECLARED: dict[str, str] = {
    status.value: CUSTODY_LABELS[status]
    for status in (CustodyStatus.founder, CustodyStatus.health_centre, CustodyStatus.unknown)
}
CUSTODY_SHOWN: dict[str, str] = {status.value: label for status, label in CUSTODY_LABELS.items()}


@dataclass
class ClosureFilterForm(Form):
    """폐업 의료기관's search (the query): part of a name, a region (a health centre's person
    has theirs, fixed) and a custody; any may be empty."""

    q: str = ""
    region: str = ""
    custody: str = ""

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(
            q=_text(form, "q", 100), region=_text(form, "region", 8),
            custody=_text(form, "custody", 16),
        )  # fmt: skip

    def check(self) -> dict[str, str]:
        errors = {}
        if self.region and self.region not in REGIONS:
            errors["region"] = "지역을 목록에서 골라 주세요."
        if self.custody and self.custody not in CUSTODY_SHOWN:
            errors["custody"] = "보관 상태를 목록에서 골라 주세요."
        return errors


@dataclass
class CustodyForm(Form):
    """A clinic's custody: who keeps its records (개설자, 보건소) and how to ask, or 미확인."""

    status: str = ""
    holder: str = ""
    contact: str = ""

    @classmethod
    def read(cls, form: Posted) -> Self:
        return cls(
            status=_text(form, "status", 16), holder=_text(form, "holder", 201),
            contact=_text(form, "contact", 201),
        )  # fmt: skip

    def check(self) -> dict[str, str]:
        errors = {}
        if self.status not in CUSTODY_DECLARED:
            errors["status"] = "보관 상태를 목록에서 골라 주세요."
        elif self.status != CustodyStatus.unknown.value:
            if not self.holder:
                errors["holder"] = "누가 보관하는지 입력해 주세요."
            if not self.contact:
                errors["contact"] = "사본을 요청할 연락처를 입력해 주세요."
        for name in ("holder", "contact"):
            if len(getattr(self, name)) > 200:
                errors[name] = "200자 이내로 입력해 주세요."
        return errors

    def body(self) -> dict[str, str]:
        """What catalog takes: 미확인 has no holder or contact."""
        if self.status == CustodyStatus.unknown.value:
            return {"status": self.status}
        return {"status": self.status, "holder": self.holder, "contact": self.contact}


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
            errors["institution_codes"] = (
                "요양기관기호는 숫자 8자리로, 여러 개는 쉼표로 구분해 입력해 주세요."
            )
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
            errors["act"] = (
                "행위는 목록에 나온 영문 이름(예: proxy_request.approve)으로 입력해 주세요."
            )
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
    """An account's roles, and the region of a health centre's oversight. `organisation` is the
    account's. identity decides which roles an organisation's people may hold (its 422 names the
    field, `messages.STAFF_FIELDS`); the form says at once what is missing."""

    roles: list[str] = field(default_factory=list)
    region: str = ""
    organisation: str = ""

    @classmethod
    def read(cls, form: Posted, organisation: str = "") -> Self:
        return cls(
            roles=_many(form, "roles"), region=_text(form, "region", 8), organisation=organisation
        )

    @property
    def health_centre(self) -> bool:
        return self.organisation.startswith("hc")

    @property
    def region_claim(self) -> str | None:
        """The region identity records: only where the oversight of a region is held."""
        held = self.health_centre or "health_centre" in self.roles
        return self.region if held and self.region else None

    def check(self) -> dict[str, str]:
        errors = {}
        if not self.roles:
            errors["roles"] = "역할을 하나 이상 골라 주세요."
        elif set(self.roles) - set(staff.ROLES):
            errors["roles"] = "역할을 목록에서 골라 주세요."
        if self.region and self.region not in REGIONS:
            errors["region"] = "지역을 목록에서 골라 주세요."
        elif self.health_centre and not self.region:
            errors["region"] = "보건소 직원의 지역을 골라 주세요."
        elif "health_centre" in self.roles and not self.region:
            errors["region"] = "보건소 담당자 역할에는 지역이 필요합니다."
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
            errors["login"] = (
                "아이디는 영문 소문자로 시작하여 영문 소문자, 숫자, 점(.), 밑줄(_), 하이픈(-)으로 3~64자로 정해 주세요."
            )
        if not self.name:
            errors["name"] = "이름을 입력해 주세요."
        elif len(self.name) > 100:
            errors["name"] = "이름은 100자까지 쓸 수 있습니다."
        if self.organisation not in ORGANISATIONS:
            errors["organisation"] = "소속을 골라 주세요."
            return errors | {k: v for k, v in super().check().items() if k == "roles"}
        return errors | super().check()
