"""`POST /v1/verifications` and `POST /v1/verifications/{id}/confirm`: a citizen proves who they
are through the configured provider and gets a short-lived citizen token.

Starting is limited per phone and per client address (sliding windows in PostgreSQL, 429 with
`Retry-After`). A verification expires after `verification_ttl_seconds`, is locked after
`verification_max_attempts` wrong tries (429), and is used once. Wrong tries also count against
the person whose RRN was claimed together with the phone claimed, over all their verifications:
after `verification_wrong_codes_per_person_phone` within a day, starting another for that person
with that phone answers 429 (a fresh verification does not buy fresh guesses). Not per person
alone: then anyone who knows an RRN could fail ten codes with their own phone and lock its owner
out for a day. The code goes to the phone claimed, and an OpenID Connect provider must assert that
same phone (`attributes_match`), so the phone is what each guess is made against."""

import uuid
from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.clients.oauth import NO_STORE
from medrec_identity.deps import (
    AppClock,
    Binding,
    FieldKeyring,
    Keys,
    Limiter,
    OutboxDep,
    OwnTransactions,
    Provider,
    Session,
    Settings,
    client_address,
)
from medrec_identity.keys import IdentityKeys, phone_digits
from medrec_identity.models import Person, Verification
from medrec_identity.persons.repository import NewPerson, PersonRepository
from medrec_identity.persons.sealing import seal_name, seal_rrn, unseal_name, unseal_rrn
from medrec_identity.settings import IdentitySettings
from medrec_identity.tokens import citizen_token
from medrec_identity.verification.matching import attributes_match, bound_to_claim
from medrec_identity.verification.port import (
    ClaimedIdentity,
    Outcome,
    Proof,
    ProviderError,
    ProviderUnavailable,
)
from medrec_identity.verification.repository import VerificationRepository
from medrec_shared.crypto import Keyring, seal, unseal
from medrec_shared.events import PersonVerified
from medrec_shared.ids import new_id
from medrec_shared.logs import get_logger
from medrec_shared.messaging import Outbox
from medrec_shared.openapi import problem_responses
from medrec_shared.problems import NotFound, Problem, TooManyRequests
from medrec_shared.ratelimit import Limit, RateLimited
from medrec_shared.rrn import parse_rrn, valid_rrn

router = APIRouter(tags=["verification"])
log = get_logger(__name__)
_CHALLENGE_CONTEXT = b"identity.verification.challenge"


class WrongCode(Problem):
    status, type, title = 400, "wrong-code", "The code is not correct"


class IdentityMismatch(Problem):
    status, type, title = 400, "identity-mismatch", "The provider verified someone else"


class VerificationLocked(TooManyRequests):
    type, title = "verification-locked", "Too many wrong codes"


class VerificationExpired(Problem):
    status, type, title = 400, "verification-expired", "The verification has expired"


class VerificationIn(BaseModel):
    method: Literal["mobile"]
    name: str = Field(min_length=1, max_length=100)
    rrn: str = Field(min_length=13, max_length=14, description="YYMMDD-GNNNNNN")
    phone: str = Field(pattern=r"^01[016789]-?\d{3,4}-?\d{4}$")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("rrn")
    @classmethod
    def _valid_rrn(cls, value: str) -> str:
        return valid_rrn(value)


class VerificationStarted(BaseModel):
    verification_id: uuid.UUID
    expires_at: datetime
    sandbox_code: str | None = Field(default=None, description="sandbox mode only")
    authorization_url: str | None = Field(
        default=None, description="OpenID Connect provider: send the citizen's browser here"
    )


class ConfirmIn(BaseModel):
    code: str = Field(
        min_length=1, max_length=2048, description="the 6-digit code, or an authorization code"
    )
    state: str | None = Field(
        default=None, max_length=512, description="OpenID Connect provider: the returned state"
    )


async def announce_verified(
    session: AsyncSession,
    outbox: Outbox,
    settings: IdentitySettings,
    keys: IdentityKeys,
    keyring: Keyring,
    person: Person,
    verification: Verification,
) -> None:
    """PersonVerified, in the confirmation's transaction: the person's linkage match keys (keyed
    hashes of the verified name, the birth date and the sex the RRN gives), never the values."""
    sex = parse_rrn(unseal_rrn(keyring, verification.rrn_sealed))[2]
    name = unseal_name(keyring, verification.name_sealed)
    matched = keys.match_keys(name, verification.birth_date, sex)
    await outbox.add(
        session,
        settings.topic_audit,
        person.person_key,
        PersonVerified(
            person_id=person.person_id,
            person_key=person.person_key,
            match_key=matched.with_sex,
            match_key_any_sex=matched.any_sex,
        ),
    )


def wrong_codes_limit(
    keys: IdentityKeys, settings: IdentitySettings, person_key: str, phone_hash: str
) -> Limit:
    """The wrong codes one person (by the keyed hash of the claimed RRN) with one phone may get
    in a day."""
    return Limit(
        "verify.wrong.person_phone",
        keys.person_phone_limit_hash(person_key, phone_hash),
        settings.verification_wrong_codes_per_person_phone,
        timedelta(seconds=settings.verification_wrong_codes_window_seconds),
    )


class CitizenToken(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    person_id: uuid.UUID


@router.post(
    "/v1/verifications",
    status_code=201,
    response_model=VerificationStarted,
    response_model_exclude_none=True,
    responses=problem_responses(RateLimited, ProviderError, ProviderUnavailable),
)
async def start_verification(
    body: VerificationIn,
    request: Request,
    session: Session,
    settings: Settings,
    keyring: FieldKeyring,
    keys: Keys,
    clock: AppClock,
    provider: Provider,
    limiter: Limiter,
) -> VerificationStarted:
    claimed = ClaimedIdentity(
        name=body.name,
        rrn=body.rrn,
        birth_date=parse_rrn(body.rrn)[1],
        phone=phone_digits(body.phone),
    )
    window = timedelta(seconds=settings.verification_limit_window_seconds)
    phone_hash = keys.phone_hash(claimed.phone)
    person_key = keys.person_key(claimed.rrn)
    await limiter.hit(
        Limit("verify.phone", phone_hash, settings.limit_per_phone, window),
        Limit(
            "verify.address",
            keys.address_hash(client_address(request)),
            settings.limit_per_ip,
            window,
        ),
        check_only=[wrong_codes_limit(keys, settings, person_key, phone_hash)],
    )
    verification_id = new_id()
    challenge = await provider.begin(verification_id, claimed)
    verification = Verification(
        verification_id=verification_id,
        provider=provider.kind,
        person_key=person_key,
        rrn_sealed=seal_rrn(keyring, claimed.rrn),
        name_sealed=seal_name(keyring, claimed.name),
        birth_date=claimed.birth_date,
        phone_hash=phone_hash,
        challenge_sealed=seal(keyring, challenge.state, context=_CHALLENGE_CONTEXT),
        attempts=0,
        expires_at=clock.now() + timedelta(seconds=settings.verification_ttl_seconds),
    )
    await VerificationRepository(session).add(verification)
    log.info("verification_started", verification_id=str(verification_id), provider=provider.kind)
    return VerificationStarted(
        verification_id=verification_id,
        expires_at=verification.expires_at,
        sandbox_code=challenge.public.get("sandbox_code"),
        authorization_url=challenge.public.get("authorization_url"),
    )


@router.post(
    "/v1/verifications/{verification_id}/confirm",
    response_model=CitizenToken,
    responses=problem_responses(VerificationLocked, ProviderError, ProviderUnavailable),
)
async def confirm_verification(
    verification_id: uuid.UUID,
    body: ConfirmIn,
    response: Response,
    session: Session,
    own_transactions: OwnTransactions,
    settings: Settings,
    keyring: FieldKeyring,
    keys: Keys,
    clock: AppClock,
    provider: Provider,
    binding: Binding,
    limiter: Limiter,
    outbox: OutboxDep,
) -> CitizenToken:
    proof = Proof(code=body.code, state=body.state)
    provider.validate_proof(proof)
    verification = await VerificationRepository(session).get(verification_id)
    if (
        verification is None
        or verification.confirmed_at is not None
        or verification.provider != provider.kind
    ):
        raise NotFound("No such verification.")
    max_attempts = settings.verification_max_attempts
    if verification.attempts >= max_attempts:
        raise VerificationLocked("Start a new verification.")
    now = clock.now()
    if verification.expires_at <= now:
        raise VerificationExpired("Start a new verification.")
    # The try is counted, in a transaction of its own, before the proof is looked at: it stays
    # counted whatever this request does next, and concurrent guesses cannot exceed the limit.
    async with own_transactions.begin() as own:
        tries = await VerificationRepository(own).take_attempt(verification_id, max_attempts)
    if tries is None:
        raise VerificationLocked("Start a new verification.")
    state = unseal(keyring, verification.challenge_sealed, context=_CHALLENGE_CONTEXT)
    checked = await provider.check(verification_id, state, proof)
    # A provider that asserts who it logged in (OIDC) must have logged in the claimed person:
    # the same name, birth date and phone, and a CI the binding confirms belongs to the RRN.
    mismatch = checked.attributes is not None and not (
        attributes_match(
            checked.attributes,
            name=unseal_name(keyring, verification.name_sealed),
            birth_date=verification.birth_date,
            phone_hash=verification.phone_hash,
            keys=keys,
        )
        and await bound_to_claim(
            checked.attributes, unseal_rrn(keyring, verification.rrn_sealed), binding
        )
    )
    if checked.outcome is Outcome.WRONG or mismatch:
        log.info("verification_refused", verification_id=str(verification_id), tries=tries)
        await limiter.count(
            wrong_codes_limit(keys, settings, verification.person_key, verification.phone_hash)
        )
        if tries >= max_attempts:
            raise VerificationLocked("Start a new verification.")
        left = f"{max_attempts - tries} tries left."
        raise IdentityMismatch(left) if mismatch else WrongCode(left)
    if not await VerificationRepository(session).claim(verification_id, now):
        raise NotFound("No such verification.")
    person = await PersonRepository(session).find_or_create(
        NewPerson(
            person_key=verification.person_key,
            rrn_sealed=verification.rrn_sealed,
            name_sealed=verification.name_sealed,
            birth_date=verification.birth_date,
        )
    )
    await announce_verified(session, outbox, settings, keys, keyring, person, verification)
    minted = await citizen_token(session, keyring, settings, person)
    response.headers.update(NO_STORE)
    log.info(
        "verification_confirmed",
        verification_id=str(verification_id),
        person_id=str(person.person_id),
    )
    return CitizenToken(
        access_token=minted.access_token, expires_in=minted.expires_in, person_id=person.person_id
    )
