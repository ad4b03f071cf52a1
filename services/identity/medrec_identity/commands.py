"""What identity's operator commands share (signing keys, service clients): its settings, or a
refusal naming each setting at fault and why, exit 1, never a value (pydantic's own message
would repeat the values, secrets too)."""

from pydantic import ValidationError

from medrec_identity.settings import IdentitySettings
from medrec_shared.platform.commands import fail


def identity_settings() -> IdentitySettings:
    try:
        return IdentitySettings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        fail(f"identity's settings (MEDREC_IDENTITY_*) are not usable: {problems}")
