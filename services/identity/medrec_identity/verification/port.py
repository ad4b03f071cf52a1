"""The verification provider port: who checks that a citizen is who they claim to be.

The flow is the same for every provider: `POST /v1/verifications` with the claimed identity calls
:meth:`VerificationProvider.begin`, whose :class:`Challenge` is kept sealed with the verification
and whose public part goes to the caller; `POST /v1/verifications/{id}/confirm` hands the caller's
:class:`Proof` to :meth:`VerificationProvider.check`. Expiry, wrong-try counting, locking and
single use are the core's, not the provider's.

Adapters: `sandbox` (a one-time code shown in the response, local stack only) and `oidc` (a
generic OpenID Connect provider, authorization code flow with PKCE)."""

import enum
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from medrec_shared.platform.problems import Problem, ServiceUnavailable


@dataclass(frozen=True)
class ClaimedIdentity:
    """What the citizen typed in; never logged."""

    name: str
    rrn: str  # normalised YYMMDD-GNNNNNN
    birth_date: date
    phone: str


@dataclass(frozen=True)
class Challenge:
    state: bytes  # provider-private: sealed into the verification row
    public: dict[str, str] = field(default_factory=dict)  # added to the 201 response


@dataclass(frozen=True)
class Proof:
    code: str  # the one-time code, or the OIDC authorization code
    state: str | None = None  # the OIDC `state` returned with it


@dataclass(frozen=True)
class VerifiedAttributes:
    """What a provider asserts about the person it authenticated; compared with the claim."""

    name: str | None
    birth_date: date | None
    phone: str | None
    # The CI (연계정보) Korean identity verification derives from the person's RRN: what binds
    # the person the provider logged in to the RRN the citizen typed (medrec_identity.binding).
    ci: str | None = None


class Outcome(enum.Enum):
    CONFIRMED = "confirmed"
    WRONG = "wrong"  # the proof does not fit: counts as a wrong try


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    # None when the provider only proves possession of the claimed phone (the sandbox).
    attributes: VerifiedAttributes | None = None


class ProviderUnavailable(ServiceUnavailable):
    type, title = "verification-provider-unavailable", "The verification provider is unavailable"


class ProviderError(Problem):
    status, type, title = 502, "verification-provider-error", "The verification provider failed"


class VerificationProvider(Protocol):
    kind: str

    async def begin(self, verification_id: uuid.UUID, claimed: ClaimedIdentity) -> Challenge:
        """Starts the check (sends a code, or prepares a redirect). May raise
        ProviderUnavailable."""
        ...

    def validate_proof(self, proof: Proof) -> None:
        """Refuses a malformed proof (ValidationFailed) before it counts as a try."""
        ...

    async def check(self, verification_id: uuid.UUID, state: bytes, proof: Proof) -> Checked:
        """Checks the proof against the sealed challenge state. May raise ProviderUnavailable or
        ProviderError; the try was counted before the call, so a failure uses one up."""
        ...

    async def aclose(self) -> None: ...
