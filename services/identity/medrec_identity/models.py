import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from medrec_shared.platform.db import Base, new_metadata
from medrec_shared.platform.messaging import messaging_tables
from medrec_shared.platform.ratelimit import rate_events_table
from medrec_shared.platform.schedule import schedule_table


class IdentityBase(Base):
    __abstract__ = True
    metadata = new_metadata()


messaging = messaging_tables(IdentityBase.metadata)
schedule_runs = schedule_table(IdentityBase.metadata)
rate_events = rate_events_table(IdentityBase.metadata)


class ApiClient(IdentityBase):
    __tablename__ = "api_clients"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary)
    secret_salt: Mapped[bytes] = mapped_column(LargeBinary)
    institution_codes: Mapped[list[str]] = mapped_column(ARRAY(String(8)), default=list)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]
    # Who registered it (a staff login or the machine account's id); None: before #27, or
    # provisioned by deployment (`medrec-identity-service-clients`).
    registered_by: Mapped[str | None] = mapped_column(String(200))


class SigningKey(IdentityBase):
    __tablename__ = "signing_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[str] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # When another key took over signing; published until `retired_at` (see signing_keys/).
    deactivated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class Person(IdentityBase):
    __tablename__ = "persons"
    person_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    person_key: Mapped[str] = mapped_column(String(64), unique=True)
    rrn_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    birth_date: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Verification(IdentityBase):
    """One citizen verification: what the citizen claimed (sealed), the provider that checks it and
    that provider's sealed challenge (a keyed hash of the one-time code, or OIDC state/nonce/PKCE).
    The phone is looked up only by its keyed hash; its digits are kept sealed (None on rows from
    before #29), for the person's contact once the verification succeeds."""

    __tablename__ = "verifications"
    verification_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    person_key: Mapped[str] = mapped_column(String(64))
    rrn_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    birth_date: Mapped[date]
    phone_hash: Mapped[str] = mapped_column(String(64))
    phone_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    challenge_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PersonContact(IdentityBase):
    """A verified person's mobile number, sealed (`persons.sealing`): the one their newest
    successful verification proved (the sandbox: the phone the code went to; OpenID Connect: the
    phone the provider asserted as verified). One row per person, replaced on each verification;
    catalog reads it to send a notice (scope contact:read)."""

    __tablename__ = "person_contacts"
    person_key: Mapped[str] = mapped_column(
        String(64), ForeignKey("persons.person_key", ondelete="CASCADE"), primary_key=True
    )
    phone_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    provider: Mapped[str] = mapped_column(String(16))
    verified_at: Mapped[datetime]


class FamilyLink(IdentityBase):
    """The sandbox family registry (a stand-in for the government registry)."""

    __tablename__ = "sandbox_family_links"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    parent_key: Mapped[str] = mapped_column(String(64), index=True)
    child_key: Mapped[str] = mapped_column(String(64))
    child_rrn_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    child_name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    child_birth_date: Mapped[date]
    relation: Mapped[str] = mapped_column(String(16))
    parental_authority: Mapped[bool] = mapped_column(Boolean)


class StaffAccount(IdentityBase):
    """A person who runs the service or oversees a region (medrec_identity.staff): signs in with
    a password (argon2id hash) and a TOTP code (secret sealed with the field keyring), or with
    the organisation's OpenID Connect provider in production."""

    __tablename__ = "staff_accounts"
    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(32))  # "khis" or "hc:<region code>"
    region: Mapped[str | None] = mapped_column(String(8))
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The last TOTP time step a sign-in used: a code is good once (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    # Wrong second factors after the right password, since the last good sign-in.
    second_factor_failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | disabled
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(200))


class StaffSession(IdentityBase):
    """A staff person signed in (purpose "session": refreshed for new access tokens until it
    ends, idles out or reaches its absolute end), or the short step between the right
    credentials and the forced password change (purpose "password_change"). Only a hash of its
    opaque token is kept."""

    __tablename__ = "staff_sessions"
    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_accounts.account_id"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]


class StaffOidcFlow(IdentityBase):
    """A staff sign-in through the organisation's OpenID Connect provider, between `start` and
    `finish`: the state (as a hash), and the nonce and PKCE verifier sealed."""

    __tablename__ = "staff_oidc_flows"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    secrets_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
