"""Keys identity derives for lookups, so phone numbers, client addresses, client ids at an address
(as rate limits count them), persons with a phone (as the wrong-code limit counts them) and
one-time codes are stored
only as keyed hashes. All come from `person_index_key` (the RRN blind-index key shared with
ingest) by HMAC with a distinct purpose, so no extra secret has to be deployed."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date

from pydantic import SecretStr

from medrec_shared.platform.crypto import blind_index
from medrec_shared.rules.linkage import MatchKeys
from medrec_shared.rules.rrn import normalise_rrn


def _derive(root: bytes, purpose: str) -> bytes:
    return hmac.new(root, b"medrec.identity." + purpose.encode(), hashlib.sha256).digest()


def phone_digits(phone: str) -> str:
    """010-1234-5678, 01012345678 and +82 10 1234 5678 all become 01012345678."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+82"):
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class IdentityKeys:
    person_index: bytes
    phone_index: bytes
    address_index: bytes
    client_index: bytes
    person_limit_index: bytes
    code: bytes

    @classmethod
    def from_secret(cls, person_index_key: SecretStr) -> "IdentityKeys":
        root = person_index_key.get_secret_value().encode()
        return cls(
            person_index=root,
            phone_index=_derive(root, "phone-index.v1"),
            address_index=_derive(root, "client-address-index.v1"),
            client_index=_derive(root, "client-id-index.v1"),
            person_limit_index=_derive(root, "person-limit-index.v1"),
            code=_derive(root, "verification-code.v1"),
        )

    def person_key(self, rrn: str) -> str:
        """The blind index records are filed under (the same as ingest computes)."""
        return blind_index(self.person_index, normalise_rrn(rrn))

    def match_keys(self, name: str, birth_date: date, sex: str) -> MatchKeys:
        """The linkage match keys of a person (the same as ingest computes for a record without
        an RRN: medrec_shared.rules.linkage derives them from the shared person-index secret)."""
        return MatchKeys.of(self.person_index, name, birth_date, sex)

    def phone_hash(self, phone: str) -> str:
        return blind_index(self.phone_index, phone_digits(phone))

    def address_hash(self, address: str) -> str:
        return blind_index(self.address_index, address)

    def client_at_address_hash(self, client_id: str, address: str) -> str:
        # JSON keeps the pair unambiguous: a client id from a Basic header may hold anything.
        return blind_index(self.client_index, json.dumps([client_id, address]))

    def person_phone_limit_hash(self, person_key: str, phone_hash: str) -> str:
        """A person with a phone in the rate-limit table: not the key their records are filed
        under, so that table links to no record."""
        return blind_index(self.person_limit_index, f"{person_key}:{phone_hash}")

    def code_hash(self, verification_id: str, code: str) -> bytes:
        return hmac.new(self.code, f"{verification_id}:{code}".encode(), hashlib.sha256).digest()
