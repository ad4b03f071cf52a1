"""The identity binding port: does this CI belong to this RRN?

A provider that authenticates a person (the OpenID Connect provider) asserts who it logged in by
name, birth date and phone, none of which the RRN follows from: someone who shares a victim's
name and birth date, and knows the victim's RRN, would otherwise be filed under it and read the
victim's records. Korean identity verification also asserts the person's CI (연계정보, 88
characters of base64), which the verification agencies derive from the RRN with a key only they
hold. This port asks the party that can answer whether the CI the provider asserted is the one
derived from the RRN the citizen typed; without a confirmed binding, no token.

Adapters: `sandbox` (the CI derived from the RRN with a published sandbox key, local stack only)
and `http` (a configurable HTTP service; the contract is in `http.py` and docs/identity-binding.md).
"""

from typing import Protocol

from medrec_shared.platform.problems import ServiceUnavailable


class BindingUnavailable(ServiceUnavailable):
    type, title = "identity-binding-unavailable", "The identity binding service is unavailable"


class IdentityBinding(Protocol):
    kind: str

    async def confirms(self, rrn: str, ci: str) -> bool:
        """True when `ci` is the CI of the person with this RRN (normalised YYMMDD-GNNNNNN);
        False when it is another person's, or the RRN is unknown. Raises BindingUnavailable
        when it cannot answer. Neither value is ever logged."""
        ...

    async def aclose(self) -> None: ...
