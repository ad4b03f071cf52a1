"""What staff sign-in and the staff accounts API send and get back."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Secret = Field(min_length=1, max_length=512)


class SignInIn(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    totp: str = Field(min_length=1, max_length=16)


class PasswordChangeIn(BaseModel):
    change_token: str = Secret
    new_password: str = Field(min_length=1, max_length=1024)


class SessionTokenIn(BaseModel):
    session_token: str = Secret


class StaffOut(BaseModel):
    account_id: uuid.UUID
    login: str
    name: str
    organisation: str
    roles: list[str]
    region: str | None


class SignedInOut(BaseModel):
    status: Literal["signed_in"] = "signed_in"
    session_token: str
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    session_expires_at: datetime
    staff: StaffOut


class ChangeRequiredOut(BaseModel):
    status: Literal["password_change_required"] = "password_change_required"
    change_token: str
    expires_in: int


class RefreshedOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    session_expires_at: datetime


class OidcStartIn(BaseModel):
    redirect_uri: str = Field(min_length=1, max_length=2000)


class OidcStartOut(BaseModel):
    authorization_url: str
    state: str


class OidcFinishIn(BaseModel):
    state: str = Secret
    code: str = Secret
    redirect_uri: str = Field(min_length=1, max_length=2000)


# -- accounts (staff:manage) -------------------------------------------------------------------


class AccountOut(StaffOut):
    status: Literal["active", "disabled"]
    must_change_password: bool
    created_at: datetime
    created_by: str


class AccountPage(BaseModel):
    items: list[AccountOut]
    next_cursor: str | None


class AccountIn(BaseModel):
    login: str = Field(min_length=3, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    organisation: str = Field(min_length=1, max_length=32)
    roles: list[str] = Field(min_length=1, max_length=8)
    region: str | None = Field(default=None, max_length=8)


class AccountCreated(BaseModel):
    account: AccountOut
    password: str = Field(description="Shown once: changed at the first sign-in.")
    totp_uri: str = Field(description="Shown once: the otpauth:// URI for an authenticator app.")


class RolesIn(BaseModel):
    roles: list[str] = Field(min_length=1, max_length=8)
    region: str | None = Field(default=None, max_length=8)


class TotpReset(BaseModel):
    totp_uri: str


class PasswordReset(BaseModel):
    password: str = Field(description="Shown once: changed at the next sign-in.")
