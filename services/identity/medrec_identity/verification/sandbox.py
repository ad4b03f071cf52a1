"""The sandbox provider: a one-time 6-digit code that a real deployment would send by SMS is shown
in the response instead (`sandbox_code`, only in sandbox mode). Local stack only."""

import hmac
import re
import secrets
import uuid

from medrec_identity.keys import IdentityKeys
from medrec_identity.verification.port import (
    Challenge,
    Checked,
    ClaimedIdentity,
    Outcome,
    Proof,
)
from medrec_shared.platform.problems import ValidationFailed

_CODE = re.compile(r"\d{6}")


class SandboxProvider:
    kind = "sandbox"

    def __init__(self, keys: IdentityKeys, *, reveal: bool) -> None:
        self.keys = keys
        self.reveal = reveal

    async def begin(self, verification_id: uuid.UUID, claimed: ClaimedIdentity) -> Challenge:
        code = f"{secrets.randbelow(10**6):06d}"
        state = self.keys.code_hash(str(verification_id), code)
        return Challenge(state=state, public={"sandbox_code": code} if self.reveal else {})

    def validate_proof(self, proof: Proof) -> None:
        if not _CODE.fullmatch(proof.code):
            raise ValidationFailed(errors=[{"field": "code", "message": "must be 6 digits"}])

    async def check(self, verification_id: uuid.UUID, state: bytes, proof: Proof) -> Checked:
        expected = self.keys.code_hash(str(verification_id), proof.code)
        ok = hmac.compare_digest(state, expected)
        return Checked(Outcome.CONFIRMED if ok else Outcome.WRONG)

    async def aclose(self) -> None:
        return None
