"""Does what a provider asserts match what the citizen claimed?"""

import unicodedata
from datetime import date

from medrec_identity.binding.port import IdentityBinding
from medrec_identity.keys import IdentityKeys
from medrec_identity.verification.port import VerifiedAttributes


def _same_name(a: str, b: str) -> bool:
    def norm(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", name).split()).casefold()

    return norm(a) == norm(b)


def attributes_match(
    attributes: VerifiedAttributes,
    *,
    name: str,
    birth_date: date,
    phone_hash: str,
    keys: IdentityKeys,
) -> bool:
    """The provider authenticated the person the citizen claimed to be: same name, the RRN's
    birth date, the same phone. Anything the provider did not assert counts as a mismatch."""
    return (
        attributes.name is not None
        and attributes.birth_date is not None
        and attributes.phone is not None
        and _same_name(attributes.name, name)
        and attributes.birth_date == birth_date
        and keys.phone_hash(attributes.phone) == phone_hash
    )


async def bound_to_claim(
    attributes: VerifiedAttributes, rrn: str, binding: IdentityBinding
) -> bool:
    """The person the provider verified is the one the typed RRN names: the binding confirms
    that the CI the provider asserted was derived from that RRN. Matching name, birth date and
    phone does not show this (another person may share all three with the RRN's owner, and know
    the RRN); no CI asserted, no binding."""
    return attributes.ci is not None and await binding.confirms(rrn, attributes.ci)
