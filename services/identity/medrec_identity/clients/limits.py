"""The token endpoint's limits on guessing a client's secret (rate events in PostgreSQL, so every
replica counts the same)."""

from dataclasses import dataclass
from datetime import timedelta

from medrec_identity.clients.oauth import SlowDown
from medrec_identity.keys import IdentityKeys
from medrec_identity.settings import IdentitySettings
from medrec_shared.platform.ratelimit import Limit, RateLimited, RateLimiter


@dataclass(frozen=True)
class TokenLimits:
    """What bounds guessing a client's secret. Every request counts against its address (also
    bounding a burst of concurrent guesses); a failure counts against the client id at that
    address, so an address that keeps failing for one client is refused (even its right
    secret), while the client's owner, elsewhere, is not: an id anyone may know (`operator`)
    locks no one out. Guesses spread over many addresses are not bounded per client: a secret
    is 256 random bits (clients/secrets.py; the operator's is checked for strength)."""

    per_address: Limit
    failures: Limit

    @classmethod
    def of(
        cls, settings: IdentitySettings, keys: IdentityKeys, client_id: str, address: str
    ) -> "TokenLimits":
        window = timedelta(seconds=settings.token_limit_window_seconds)
        return cls(
            per_address=Limit(
                "token.address", keys.address_hash(address), settings.token_per_ip, window
            ),
            failures=Limit(
                "token.failed.client_address",
                keys.client_at_address_hash(client_id, address),
                settings.token_failures_per_client,
                window,
            ),
        )

    async def take(self, limiter: RateLimiter) -> None:
        """Before the secret is checked; SlowDown when either is exhausted."""
        try:
            await limiter.hit(self.per_address, check_only=[self.failures])
        except RateLimited as exc:
            raise SlowDown("Too many token requests; try again later.", exc.retry_after) from exc
