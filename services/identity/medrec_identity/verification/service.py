"""Citizen verification: a citizen proves who they are through the configured provider and gets
a short-lived citizen token.

Starting is limited per phone and per client address (sliding windows in PostgreSQL, 429 with
`Retry-After`). A verification expires after `verification_ttl_seconds`, is locked after
`verification_max_attempts` wrong tries (429), and is used once. Wrong tries also count against
the person whose RRN was claimed together with the phone claimed, over all their verifications:
after `verification_wrong_codes_per_person_phone` within a day, starting another for that person
with that phone answers 429 (a fresh verification does not buy fresh guesses). Not per person
alone: then anyone who knows an RRN could fail ten codes with their own phone and lock its owner
out for a day. The code goes to the phone claimed, and an OpenID Connect provider must assert that
same phone (`attributes_match`), so the phone is what each guess is made against. The phone a
successful verification proved (the sandbox: the claimed one the code went to; OIDC: the one the
provider asserted verified) becomes the person's contact, sealed, replacing the one before: what
catalog texts a notice to.

`Verifications` holds these rules; it works in the caller's session (the request's transaction)
and raises the problems the API answers, except for counting a try, which it commits in a
transaction of its own."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from medrec_identity.binding.port import IdentityBinding
from medrec_identity.keys import IdentityKeys, phone_digits
from medrec_identity.models import Person, Verification
from medrec_identity.persons.sealing import (
    seal_name,
    seal_phone,
    seal_rrn,
    unseal_name,
    unseal_phone,
    unseal_rrn,
)
from medrec_identity.persons.service import find_or_create_person, remember_phone
from medrec_identity.settings import IdentitySettings
from medrec_identity.tokens import citizen_token
from medrec_identity.verification.matching import attributes_match, bound_to_claim
from medrec_identity.verification.port import (
    Checked,
    ClaimedIdentity,
    Outcome,
    Proof,
    VerificationProvider,
)
from medrec_identity.verification.repository import VerificationRepository
from medrec_identity.verification.schemas import CitizenToken, VerificationIn, VerificationStarted
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring, seal, unseal
from medrec_shared.platform.db import Transactions
from medrec_shared.platform.ids import new_id
from medrec_shared.platform.logs import get_logger
from medrec_shared.platform.messaging import announce
from medrec_shared.platform.problems import NotFound, Problem, TooManyRequests
from medrec_shared.platform.ratelimit import Limit, RateLimiter
from medrec_shared.rules.events import PersonVerified
from medrec_shared.rules.rrn import parse_rrn

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


def wrong_codes_limit(
    keys: IdentityKeys, settings: IdentitySettings, *, person_key: str, phone_hash: str
) -> Limit:
    """The wrong codes one person (by the keyed hash of the claimed RRN) with one phone may get
    in a day."""
    return Limit(
        "verify.wrong.person_phone",
        keys.person_phone_limit_hash(person_key, phone_hash),
        settings.verification_wrong_codes_per_person_phone,
        timedelta(seconds=settings.verification_wrong_codes_window_seconds),
    )


@dataclass(kw_only=True)
class Verifications:
    transactions: Transactions
    settings: IdentitySettings
    keyring: Keyring
    keys: IdentityKeys
    clock: Clock
    provider: VerificationProvider
    binding: IdentityBinding
    limiter: RateLimiter

    def _wrong_codes(self, person_key: str, phone_hash: str) -> Limit:
        return wrong_codes_limit(
            self.keys, self.settings, person_key=person_key, phone_hash=phone_hash
        )

    # -- starting ----------------------------------------------------------------------------

    async def start(
        self, session: AsyncSession, body: VerificationIn, *, address: str
    ) -> VerificationStarted:
        """A verification of what the citizen claims, from the client at `address`."""
        settings, keys = self.settings, self.keys
        claimed = ClaimedIdentity(
            name=body.name,
            rrn=body.rrn,
            birth_date=parse_rrn(body.rrn)[1],
            phone=phone_digits(body.phone),
        )
        window = timedelta(seconds=settings.verification_limit_window_seconds)
        phone_hash = keys.phone_hash(claimed.phone)
        person_key = keys.person_key(claimed.rrn)
        await self.limiter.hit(
            Limit("verify.phone", phone_hash, settings.limit_per_phone, window),
            Limit("verify.address", keys.address_hash(address), settings.limit_per_ip, window),
            check_only=[self._wrong_codes(person_key, phone_hash)],
        )
        verification_id = new_id()
        challenge = await self.provider.begin(verification_id, claimed)
        now = self.clock.now()
        verification = Verification(
            verification_id=verification_id,
            provider=self.provider.kind,
            person_key=person_key,
            rrn_sealed=seal_rrn(self.keyring, claimed.rrn),
            name_sealed=seal_name(self.keyring, claimed.name),
            birth_date=claimed.birth_date,
            phone_hash=phone_hash,
            phone_sealed=seal_phone(self.keyring, claimed.phone),
            challenge_sealed=seal(self.keyring, challenge.state, context=_CHALLENGE_CONTEXT),
            attempts=0,
            expires_at=now + timedelta(seconds=settings.verification_ttl_seconds),
            created_at=now,
        )
        await VerificationRepository(session).add(verification)
        log.info(
            "verification_started",
            verification_id=str(verification_id),
            provider=self.provider.kind,
        )
        return VerificationStarted(
            verification_id=verification_id,
            expires_at=verification.expires_at,
            sandbox_code=challenge.public.get("sandbox_code"),
            authorization_url=challenge.public.get("authorization_url"),
        )

    # -- confirming --------------------------------------------------------------------------

    async def confirm(
        self, session: AsyncSession, verification_id: uuid.UUID, proof: Proof
    ) -> CitizenToken:
        """The proof checked against the verification; if it holds, the person (created on
        their first verification), the phone it proved (kept sealed as their contact),
        PersonVerified, and a citizen token."""
        self.provider.validate_proof(proof)
        now = self.clock.now()
        verification = await self._open(session, verification_id, now)
        checked = await self._check(verification, proof)
        if not await VerificationRepository(session).claim(verification_id, now):
            raise NotFound("No such verification.")
        person = await find_or_create_person(
            session,
            person_key=verification.person_key,
            rrn_sealed=verification.rrn_sealed,
            name_sealed=verification.name_sealed,
            birth_date=verification.birth_date,
            created_at=now,
        )
        phone = self._proved_phone(verification, checked)
        if phone is not None:
            await remember_phone(
                session,
                self.keyring,
                person_key=person.person_key,
                phone=phone,
                provider=verification.provider,
                verified_at=now,
            )
        self._announce_verified(session, person, verification)
        minted = await citizen_token(session, self.keyring, self.settings, person)
        log.info(
            "verification_confirmed",
            verification_id=str(verification_id),
            person_id=str(person.person_id),
        )
        return CitizenToken(
            access_token=minted.access_token,
            expires_in=minted.expires_in,
            person_id=person.person_id,
        )

    async def _open(
        self, session: AsyncSession, verification_id: uuid.UUID, now: datetime
    ) -> Verification:
        """The verification, if it may still be confirmed at `now`."""
        verification = await VerificationRepository(session).get(verification_id)
        if (
            verification is None
            or verification.confirmed_at is not None
            or verification.provider != self.provider.kind
        ):
            raise NotFound("No such verification.")
        if verification.attempts >= self.settings.verification_max_attempts:
            raise VerificationLocked("Start a new verification.")
        if verification.expires_at <= now:
            raise VerificationExpired("Start a new verification.")
        return verification

    async def _check(self, verification: Verification, proof: Proof) -> Checked:
        """Counts the try, then checks the proof; a wrong one (or someone else verified) also
        counts against the claimed person with the claimed phone. What the provider checked, if
        the proof holds."""
        verification_id = verification.verification_id
        max_attempts = self.settings.verification_max_attempts
        # The try is counted, in a transaction of its own, before the proof is looked at: it
        # stays counted whatever this request does next, and concurrent guesses cannot exceed
        # the limit.
        async with self.transactions.begin() as own:
            tries = await VerificationRepository(own).take_attempt(verification_id, max_attempts)
        if tries is None:
            raise VerificationLocked("Start a new verification.")
        state = unseal(self.keyring, verification.challenge_sealed, context=_CHALLENGE_CONTEXT)
        checked = await self.provider.check(verification_id, state, proof)
        mismatch = await self._mismatch(checked, verification)
        if checked.outcome is Outcome.WRONG or mismatch:
            log.info("verification_refused", verification_id=str(verification_id), tries=tries)
            await self.limiter.count(
                self._wrong_codes(verification.person_key, verification.phone_hash)
            )
            if tries >= max_attempts:
                raise VerificationLocked("Start a new verification.")
            left = f"{max_attempts - tries} tries left."
            raise IdentityMismatch(left) if mismatch else WrongCode(left)
        return checked

    def _proved_phone(self, verification: Verification, checked: Checked) -> str | None:
        """The mobile number a successful check proved: the one the provider asserted when it
        asserts attributes (OpenID Connect drops a phone it does not mark verified, and
        `attributes_match` held it to the claimed one), else the claimed one the code went to
        (possession shown by the code). None for a verification started before phones were
        sealed."""
        if checked.attributes is not None:
            return checked.attributes.phone
        if verification.phone_sealed is None:
            return None
        return unseal_phone(self.keyring, verification.phone_sealed)

    async def _mismatch(self, checked: Checked, verification: Verification) -> bool:
        """A provider that asserts who it logged in (OIDC) must have logged in the claimed
        person: the same name, birth date and phone, and a CI the binding confirms belongs to
        the RRN."""
        if checked.attributes is None:
            return False
        return not (
            attributes_match(
                checked.attributes,
                name=unseal_name(self.keyring, verification.name_sealed),
                birth_date=verification.birth_date,
                phone_hash=verification.phone_hash,
                keys=self.keys,
            )
            and await bound_to_claim(
                checked.attributes,
                unseal_rrn(self.keyring, verification.rrn_sealed),
                self.binding,
            )
        )

    def _announce_verified(
        self, session: AsyncSession, person: Person, verification: Verification
    ) -> None:
        """PersonVerified, in the confirmation's transaction: the person's linkage match keys
        (keyed hashes of the verified name, the birth date and the sex the RRN gives), never the
        values."""
        sex = parse_rrn(unseal_rrn(self.keyring, verification.rrn_sealed))[2]
        name = unseal_name(self.keyring, verification.name_sealed)
        matched = self.keys.match_keys(name, verification.birth_date, sex)
        announce(
            session,
            self.settings.topic_audit,
            person.person_key,
            PersonVerified(
                person_id=person.person_id,
                person_key=person.person_key,
                match_key=matched.with_sex,
                match_key_any_sex=matched.any_sex,
            ),
        )
