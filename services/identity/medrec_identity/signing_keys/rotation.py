"""Rotating identity's token signing keys: `rotate` makes a new key the one that signs, the
previous ones stay published in the JWKS so the tokens they signed still verify everywhere;
`retire` takes out of the JWKS the keys that stopped signing longer ago than any token lives.

A key is retired `retire_after` once it stopped signing: the longest token lifetime identity
issues, and a minute more for a token signed by a request that read the old key just before the
rotation committed (and for clocks a little apart). Services drop a retired key at their next
JWKS fetch (`jwks_cache_seconds`); by then every token it signed has expired, so nobody notices.
The active key is never retired, so the JWKS is never empty.

A key that leaked cannot wait that long: `retire_now` takes one named key out of the JWKS at
once (never the active one: `rotate --force` first), and services refuse its tokens from their
next JWKS fetch, unexpired or not.

Each step is one transaction under the key lock that start-up takes too, so two runs (or a run
and a replica starting) change the keys one at a time. Running a step twice changes nothing the
second time: `rotate` keeps an active key younger than `retire_after` (`force` rotates anyway),
`retire` only takes what is due. "Now" is the clock port's. Nothing here logs or returns key
material."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from medrec_identity.models import SigningKey
from medrec_identity.settings import IdentitySettings
from medrec_identity.signing_keys.repository import SigningKeyRepository
from medrec_shared.platform.clock import Clock
from medrec_shared.platform.crypto import Keyring
from medrec_shared.platform.db import Transactions

GRACE = timedelta(minutes=1)


def retire_after(settings: IdentitySettings) -> timedelta:
    """How long a key stays published once it stopped signing."""
    return timedelta(seconds=settings.longest_token_seconds) + GRACE


class KeyState(StrEnum):
    active = "active"  # signs new tokens, published
    published = "published"  # stopped signing, its tokens still verify
    retired = "retired"  # out of the JWKS


@dataclass(frozen=True)
class KeyView:
    """A key as the command shows it: no key material."""

    kid: str
    created_at: datetime
    state: KeyState
    deactivated_at: datetime | None
    retired_at: datetime | None
    retires_at: datetime | None  # when `retire` takes a published key out of the JWKS

    @classmethod
    def of(cls, key: SigningKey, after: timedelta) -> "KeyView":
        if key.retired_at is not None:
            state = KeyState.retired
        elif key.active:
            state = KeyState.active
        else:
            state = KeyState.published
        due = (
            key.deactivated_at + after
            if state is KeyState.published and key.deactivated_at
            else None
        )
        return cls(key.kid, key.created_at, state, key.deactivated_at, key.retired_at, due)


def due_for_retirement(keys: Sequence[KeyView], now: datetime) -> list[str]:
    """The published keys whose tokens have all expired; none at all while no key is active
    (retiring then could leave a JWKS that verifies nothing)."""
    if not any(key.state is KeyState.active for key in keys):
        return []
    return [
        key.kid
        for key in keys
        if key.state is KeyState.published and key.retires_at is not None and key.retires_at <= now
    ]


def rotation_due(active: KeyView | None, now: datetime, after: timedelta) -> bool:
    """A new key is made when none is active or the active one is `after` old: rotating sooner
    would only pile up published keys (each waits `after` before it can go)."""
    return active is None or now - active.created_at >= after


@dataclass(frozen=True)
class Rotated:
    active: str  # the key that signs from now on
    created: bool  # False: the active key was young enough and kept
    deactivated: list[str]  # the keys that stopped signing (still published)
    active_since: datetime
    retires_at: datetime  # when the deactivated keys become due for `retire`


@dataclass(frozen=True)
class Retired:
    retired: list[str]
    keys: list[KeyView]  # all keys after the step


class NoActiveKey(Exception):
    """No key signs: identity has never started on this database."""


class ActiveKeyNotRetired(Exception):
    """The key named signs new tokens: retiring it would leave nothing to verify them."""


class NoSuchKey(Exception):
    """No key has the kid named."""


@dataclass(frozen=True)
class RetiredNow:
    kid: str
    already: bool  # it was retired before this run: nothing changed


async def _views(repository: SigningKeyRepository, after: timedelta) -> list[KeyView]:
    return [KeyView.of(key, after) for key in await repository.every()]


def _active(keys: Sequence[KeyView]) -> KeyView | None:
    active = [key for key in keys if key.state is KeyState.active]
    return max(active, key=lambda key: key.created_at) if active else None


async def rotate(
    transactions: Transactions,
    keyring: Keyring,
    clock: Clock,
    settings: IdentitySettings,
    *,
    force: bool = False,
) -> Rotated:
    after = retire_after(settings)
    async with transactions.begin() as session:
        repository = SigningKeyRepository(session)
        await repository.lock()
        now = clock.now()
        active = _active(await _views(repository, after))
        if active is not None and not force and not rotation_due(active, now, after):
            return Rotated(active.kid, False, [], active.created_at, active.created_at + after)
        key = await repository.create(keyring, now)
        deactivated = await repository.deactivate_others(key.kid, now)
    return Rotated(key.kid, True, deactivated, now, now + after)


async def retire(transactions: Transactions, clock: Clock, settings: IdentitySettings) -> Retired:
    after = retire_after(settings)
    async with transactions.begin() as session:
        repository = SigningKeyRepository(session)
        await repository.lock()
        now = clock.now()
        keys = await _views(repository, after)
        if _active(keys) is None:
            raise NoActiveKey
        retired = await repository.retire(due_for_retirement(keys, now), now)
        keys = await _views(repository, after)
    return Retired(sorted(retired), keys)


async def retire_now(transactions: Transactions, clock: Clock, kid: str) -> RetiredNow:
    """Out of the JWKS at once, whether or not its tokens have expired: for a key that leaked.
    Never the active key."""
    async with transactions.begin() as session:
        repository = SigningKeyRepository(session)
        await repository.lock()
        key = next((key for key in await repository.every() if key.kid == kid), None)
        if key is None:
            raise NoSuchKey(kid)
        if key.active:
            raise ActiveKeyNotRetired(kid)
        if key.retired_at is not None:
            return RetiredNow(kid, already=True)
        await repository.retire([kid], clock.now())
    return RetiredNow(kid, already=False)


async def list_keys(transactions: Transactions, settings: IdentitySettings) -> list[KeyView]:
    async with transactions.begin() as session:
        return await _views(SigningKeyRepository(session), retire_after(settings))
