"""The console's forms say what is wrong at each field, in Korean, and keep only their own
bounded fields."""

from starlette.datastructures import FormData

from medrec_console.forms import DecisionForm, PasswordForm, SignInForm
from medrec_shared.rules.events import REVIEW_REASON_MAX


def test_a_sign_in_form_needs_each_factor_and_six_digits() -> None:
    form = SignInForm.read(FormData({"login": " ", "password": "", "totp": "12a456"}))
    assert not form.valid()
    assert set(form.errors) == {"login", "password", "totp"}
    good = SignInForm.read(FormData({"login": " kim ", "password": " p w ", "totp": "123 456"}))
    assert good.valid()
    assert (good.login, good.password, good.totp) == ("kim", " p w ", "123456")


def test_a_new_password_is_twelve_characters_typed_twice_alike() -> None:
    short = PasswordForm.read(FormData({"new_password": "short", "confirm": "short"}))
    assert not short.valid() and "12자" in short.errors["new_password"]
    unlike = PasswordForm.read(FormData({"new_password": "x" * 12, "confirm": "y" * 12}))
    assert not unlike.valid() and set(unlike.errors) == {"confirm"}
    assert PasswordForm.read(FormData({"new_password": "x" * 12, "confirm": "x" * 12})).valid()


def test_a_decision_is_approve_or_reject_with_a_bounded_reason() -> None:
    assert DecisionForm.read(FormData({"decision": "approve", "reason": "서류 확인"})).valid()
    assert DecisionForm.read(FormData({"decision": "reject", "reason": "서류 부족"})).valid()
    odd = DecisionForm.read(FormData({"decision": "delete", "reason": ""}))
    assert not odd.valid() and set(odd.errors) == {"decision", "reason"}
    long = DecisionForm.read(FormData({"decision": "reject", "reason": "가" * 600}))
    assert not long.valid() and f"{REVIEW_REASON_MAX}자" in long.errors["reason"]
