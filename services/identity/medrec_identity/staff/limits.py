"""The staff sign-in's limits on guessing a password (rate events in PostgreSQL, so every replica
counts the same), as the token endpoint's (medrec_identity.clients.limits): every attempt counts
against its address; a wrong password, or a login that does not exist, counts against the
address and against the (login, address) pair. An address that keeps failing for one login is
refused (even the right password), while the login's owner, elsewhere, is not: a login is no
secret, and nothing a stranger without the password does locks the account. Only wrong second
factors after the right password count toward locking it (medrec_identity.staff.rules.Lockout)."""

import json
from dataclasses import dataclass
from datetime import timedelta

from medrec_identity.keys import IdentityKeys
from medrec_identity.settings import IdentitySettings
from medrec_shared.platform.crypto import blind_index
from medrec_shared.platform.ratelimit import Limit, RateLimiter


@dataclass(frozen=True)
class SignInLimits:
    per_address: Limit
    failures_per_address: Limit
    failures_per_login: Limit

    @classmethod
    def of(
        cls, settings: IdentitySettings, keys: IdentityKeys, login: str, address: str
    ) -> "SignInLimits":
        window = timedelta(seconds=settings.staff_sign_in_window_seconds)
        address_hash = keys.address_hash(address)
        # JSON keeps the pair unambiguous whatever the login holds.
        pair = blind_index(keys.client_index, json.dumps(["staff", login.lower(), address]))
        return cls(
            per_address=Limit(
                "staff.sign_in.address", address_hash, settings.sign_in_per_ip, window
            ),
            failures_per_address=Limit(
                "staff.failed.address",
                address_hash,
                settings.sign_in_failures_per_ip,
                window,
            ),
            failures_per_login=Limit(
                "staff.failed.login_address",
                pair,
                settings.sign_in_failures_per_login,
                window,
            ),
        )

    async def take(self, limiter: RateLimiter) -> None:
        """Before the password is checked: RateLimited (429, Retry-After) when any is
        exhausted."""
        await limiter.hit(
            self.per_address, check_only=[self.failures_per_address, self.failures_per_login]
        )

    async def failed(self, limiter: RateLimiter) -> None:
        await limiter.count(self.failures_per_address)
        await limiter.count(self.failures_per_login)
