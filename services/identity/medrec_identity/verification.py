"""Citizen identity verification. The provider is a port: the sandbox shows the one-time code in
the response; a real deployment sends it through a verification provider."""

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Literal, Protocol

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select, update

from medrec_identity.deps import FieldKeyring, Session, Settings
from medrec_identity.models import Person, Verification
from medrec_identity.signing import SigningKeyRepository, load_active, sign
from medrec_shared.auth import CurrentPrincipal
from medrec_shared.crypto import blind_index, seal, unseal
from medrec_shared.db import Repository
from medrec_shared.ids import new_id
from medrec_shared.problems import NotFound, Problem, TooManyRequests, Unauthorized
from medrec_shared.rrn import InvalidRRN, parse_rrn

router = APIRouter(tags=["verification"])
CITIZEN_SCOPES = "records:read issuance:write"
_RRN_CONTEXT = b"identity.rrn"
_NAME_CONTEXT = b"identity.name"


class VerificationProvider(Protocol):
    async def send_code(self, phone: str, code: str) -> bool:
        """Delivers the code; True when the code may be shown to the caller (sandbox only)."""


class SandboxProvider:
    async def send_code(self, phone: str, code: str) -> bool:
        return True


class WrongCode(Problem):
    status, type, title = 400, "wrong-code", "The code is not correct"


class VerificationLocked(TooManyRequests):
    type, title = "verification-locked", "Too many wrong codes"


class VerificationExpired(Problem):
    status, type, title = 400, "verification-expired", "The verification has expired"


class VerificationIn(BaseModel):
    method: Literal["mobile"]
    name: str = Field(min_length=1, max_length=100)
    rrn: str = Field(min_length=13, max_length=14, description="YYMMDD-GNNNNNN")
    phone: str = Field(pattern=r"^01[016789]-?\d{3,4}-?\d{4}$")

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str) -> str:
        try:
            return parse_rrn(value)[0]
        except InvalidRRN as exc:
            raise ValueError(f"not a valid resident registration number: {exc}") from None


class VerificationStarted(BaseModel):
    verification_id: uuid.UUID
    expires_at: datetime
    sandbox_code: str | None = None


class ConfirmIn(BaseModel):
    code: str = Field(pattern=r"^\d{6}$")


class CitizenToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    person_id: uuid.UUID


class Me(BaseModel):
    person_id: uuid.UUID
    name: str
    birth_date: date


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class PersonRepository(Repository):
    async def by_key(self, person_key: str) -> Person | None:
        return await self.scalar(select(Person).where(Person.person_key == person_key))

    async def get(self, person_id: uuid.UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def add(self, person: Person) -> None:
        self.session.add(person)
        await self.session.flush()


@router.post("/v1/verifications", status_code=201, response_model=VerificationStarted,
             response_model_exclude_none=True)  # fmt: skip
async def start_verification(
    body: VerificationIn,
    request: Request,
    session: Session,
    settings: Settings,
    keyring: FieldKeyring,
) -> VerificationStarted:
    code = f"{secrets.randbelow(10**6):06d}"
    birth_date = parse_rrn(body.rrn)[1]
    verification = Verification(
        verification_id=new_id(),
        person_key=blind_index(settings.person_index_key.get_secret_value().encode(), body.rrn),
        rrn_sealed=seal(keyring, body.rrn.encode(), context=_RRN_CONTEXT),
        name_sealed=seal(keyring, body.name.encode(), context=_NAME_CONTEXT),
        birth_date=birth_date,
        phone_hash=_digest(body.phone.replace("-", "")),
        code_hash=_digest(code),
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.verification_ttl_seconds),
    )
    session.add(verification)
    provider: VerificationProvider = request.app.state.verification_provider
    reveal = await provider.send_code(body.phone, code)
    return VerificationStarted(
        verification_id=verification.verification_id,
        expires_at=verification.expires_at,
        sandbox_code=code if reveal and settings.sandbox else None,
    )


class VerificationRepository(Repository):
    async def get(self, verification_id: uuid.UUID) -> Verification | None:
        return await self.session.get(Verification, verification_id)

    async def count_failure(self, verification_id: uuid.UUID) -> int:
        result = await self.session.execute(
            update(Verification)
            .where(Verification.verification_id == verification_id)
            .values(attempts=Verification.attempts + 1)
            .returning(Verification.attempts)
        )
        return int(result.scalar_one())

    async def claim(self, verification_id: uuid.UUID, max_attempts: int) -> bool:
        """Marks it confirmed once: a code is single-use even under concurrent confirms."""
        result = await self.session.execute(
            update(Verification)
            .where(
                Verification.verification_id == verification_id,
                Verification.confirmed_at.is_(None),
                Verification.attempts < max_attempts,
            )
            .values(confirmed_at=datetime.now(UTC))
            .returning(Verification.verification_id)
        )
        return result.first() is not None


@router.post("/v1/verifications/{verification_id}/confirm", response_model=CitizenToken)
async def confirm_verification(
    verification_id: uuid.UUID,
    body: ConfirmIn,
    request: Request,
    session: Session,
    settings: Settings,
    keyring: FieldKeyring,
) -> CitizenToken:
    verification = await VerificationRepository(session).get(verification_id)
    if verification is None or verification.confirmed_at is not None:
        raise NotFound("No such verification.")
    max_attempts = settings.verification_max_attempts
    if verification.attempts >= max_attempts:
        raise VerificationLocked("Start a new verification.")
    if verification.expires_at < datetime.now(UTC):
        raise VerificationExpired("Start a new verification.")
    if not hmac.compare_digest(verification.code_hash, _digest(body.code)):
        # Counted in a transaction of its own: this request fails, the attempt must stay counted.
        async with request.app.state.db.sessions() as own, own.begin():
            attempts = await VerificationRepository(own).count_failure(verification_id)
        if attempts >= max_attempts:
            raise VerificationLocked("Start a new verification.")
        raise WrongCode(f"{max_attempts - attempts} tries left.")
    if not await VerificationRepository(session).claim(verification_id, max_attempts):
        raise NotFound("No such verification.")
    persons = PersonRepository(session)
    person = await persons.by_key(verification.person_key)
    if person is None:
        person = Person(
            person_id=new_id(),
            person_key=verification.person_key,
            rrn_sealed=verification.rrn_sealed,
            name_sealed=verification.name_sealed,
            birth_date=verification.birth_date,
        )
        await persons.add(person)
    key = await SigningKeyRepository(session).active()
    assert key is not None
    token = sign(
        load_active(key, keyring),
        {"sub": str(person.person_id), "person_key": person.person_key, "scope": CITIZEN_SCOPES},
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=settings.citizen_token_ttl_seconds,
    )
    return CitizenToken(
        access_token=token,
        expires_in=settings.citizen_token_ttl_seconds,
        person_id=person.person_id,
    )


@router.get("/v1/me", response_model=Me)
async def me(principal: CurrentPrincipal, session: Session, keyring: FieldKeyring) -> Me:
    if principal.person_key is None:
        raise Unauthorized("A citizen token is required.")
    person = await PersonRepository(session).by_key(principal.person_key)
    if person is None:
        raise NotFound("No such person.")
    name = unseal(keyring, person.name_sealed, context=_NAME_CONTEXT).decode()
    return Me(person_id=person.person_id, name=name, birth_date=person.birth_date)
