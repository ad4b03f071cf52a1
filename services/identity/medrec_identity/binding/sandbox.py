"""The sandbox binding: the CI is HMAC-SHA512 of the RRN's 13 digits under a published sandbox
key, in base64 (88 characters, the shape of a real CI). A real CI is derived from the RRN the
same way in spirit, under a key only the verification agencies hold; this key is public, so the
sandbox is refused outside the local stack. A stand-in provider in the local stack asserts
`sandbox_ci(rrn)` for the person it logs in."""

import base64
import hashlib
import hmac

from medrec_shared.rules.rrn import normalise_rrn

SANDBOX_CI_KEY = b"medrec sandbox CI key: public, local stack only"


def sandbox_ci(rrn: str) -> str:
    digits = normalise_rrn(rrn).replace("-", "")
    digest = hmac.new(SANDBOX_CI_KEY, digits.encode(), hashlib.sha512).digest()
    return base64.b64encode(digest).decode("ascii")


class SandboxBinding:
    kind = "sandbox"

    async def confirms(self, rrn: str, ci: str) -> bool:
        return hmac.compare_digest(sandbox_ci(rrn).encode(), ci.encode())

    async def aclose(self) -> None:
        return None
