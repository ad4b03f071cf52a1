"""The console's forms, one class each: the fields a form posts, their Korean messages and their
validation in one place (notifications-admin's forms.py), so a page only reads a form, asks it
for its errors and acts on its values.

A form reads only its own fields from the posted body (the CSRF token is checked before, app-wide,
by `web.require_csrf`); every value is bounded, so a page never holds more than a form's worth.
Passwords are never put back into a page that is shown again."""

from dataclasses import dataclass, field
from typing import ClassVar, Self

from starlette.datastructures import FormData

from medrec_shared.rules.events import REVIEW_REASON_MAX


def _text(form: FormData, name: str, limit: int) -> str:
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
