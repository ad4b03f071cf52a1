"""identity's composition root: everything the API, the worker and the tests use, built once from
the settings (no I/O here: connections open on first use), closed by `aclose`."""

from dataclasses import dataclass

from medrec_identity.binding.port import IdentityBinding
from medrec_identity.binding.select import build_binding
from medrec_identity.children.service import Children
from medrec_identity.family.http import HttpFamilyRegistry
from medrec_identity.family.select import build_http_registry
from medrec_identity.keys import IdentityKeys
from medrec_identity.models import messaging, rate_events
from medrec_identity.settings import IdentitySettings
from medrec_identity.staff.oidc import StaffOidc, staff_provider
from medrec_identity.staff.service import SignIn
from medrec_identity.verification.port import VerificationProvider
from medrec_identity.verification.select import build_provider
from medrec_identity.verification.service import Verifications
from medrec_shared.platform.clock import build_clock
from medrec_shared.platform.components import Components
from medrec_shared.platform.crypto import Keyring, LocalKeyring
from medrec_shared.platform.db import Database, Transactions
from medrec_shared.platform.messaging import Outbox
from medrec_shared.platform.ratelimit import RateLimiter
from medrec_shared.rules.guardianship import api_token_verifier
from medrec_shared.rules.topics import EVENT_RULES


@dataclass(frozen=True, kw_only=True)
class IdentityComponents(Components):
    settings: IdentitySettings
    keyring: Keyring
    keys: IdentityKeys
    provider: VerificationProvider
    binding: IdentityBinding
    family_registry: HttpFamilyRegistry | None  # None: the sandbox registry, on each session
    # Starting verifications (per phone, per address); tokens (per client, per address).
    rate_limiter: RateLimiter
    token_rate_limiter: RateLimiter
    verifications: Verifications
    children: Children
    staff_sign_in: SignIn
    staff_oidc: StaffOidc | None  # None: staff sign in with a password and TOTP

    async def aclose(self) -> None:
        await self.provider.aclose()
        if self.staff_oidc is not None:
            await self.staff_oidc.aclose()
        await self.binding.aclose()
        if self.family_registry is not None:
            await self.family_registry.http.aclose()
        await super().aclose()


def build(
    settings: IdentitySettings | None = None, *, verify_tokens: bool = False
) -> IdentityComponents:
    """`verify_tokens`: for the API, which checks bearer tokens (the worker checks none)."""
    settings = settings or IdentitySettings()
    db = Database(settings.database_url, pool_size=settings.database_pool_size)
    clock = build_clock(settings.clock_file)
    outbox = Outbox(messaging.outbox, "identity", rules=EVENT_RULES)
    keyring = LocalKeyring.from_spec(
        settings.field_keys.get_secret_value(), settings.field_key_active
    )
    keys = IdentityKeys.from_secret(settings.person_index_key)
    provider = build_provider(settings, keys)
    binding = build_binding(settings)
    family_registry = build_http_registry(settings)
    rate_limiter = RateLimiter(
        db.sessions,
        rate_events,
        clock.now,
        message="Too many verifications started; try again later.",
    )
    token_rate_limiter = RateLimiter(db.sessions, rate_events, clock.now)
    staff_transactions = Transactions.of(db, outbox)
    staff_oidc_provider = staff_provider(settings)
    return IdentityComponents(
        settings=settings,
        clock=clock,
        db=db,
        outbox=outbox,
        token_verifier=api_token_verifier(settings) if verify_tokens else None,
        keyring=keyring,
        keys=keys,
        provider=provider,
        binding=binding,
        family_registry=family_registry,
        rate_limiter=rate_limiter,
        token_rate_limiter=token_rate_limiter,
        verifications=Verifications(
            transactions=Transactions.of(db),  # counting a try, which announces nothing
            settings=settings,
            keyring=keyring,
            keys=keys,
            clock=clock,
            provider=provider,
            binding=binding,
            limiter=rate_limiter,
        ),
        children=Children(
            settings=settings,
            keyring=keyring,
            keys=keys,
            clock=clock,
            family_registry=family_registry,
        ),
        staff_sign_in=SignIn(
            transactions=staff_transactions,
            settings=settings,
            keyring=keyring,
            keys=keys,
            clock=clock,
            limiter=token_rate_limiter,
        ),
        staff_oidc=(
            StaffOidc(
                provider=staff_oidc_provider,
                transactions=staff_transactions,
                settings=settings,
                keyring=keyring,
                clock=clock,
            )
            if staff_oidc_provider is not None
            else None
        ),
    )
