"""A person's RRN, name and verified mobile number are kept only sealed with the field keyring,
each under its own context so that one can never be unsealed as another."""

from medrec_shared.platform.crypto import Keyring, seal, unseal

RRN_CONTEXT = b"identity.rrn"
NAME_CONTEXT = b"identity.name"
PHONE_CONTEXT = b"identity.phone"


def seal_rrn(keyring: Keyring, rrn: str) -> bytes:
    return seal(keyring, rrn.encode(), context=RRN_CONTEXT)


def seal_name(keyring: Keyring, name: str) -> bytes:
    return seal(keyring, name.encode(), context=NAME_CONTEXT)


def seal_phone(keyring: Keyring, phone: str) -> bytes:
    return seal(keyring, phone.encode(), context=PHONE_CONTEXT)


def unseal_rrn(keyring: Keyring, blob: bytes) -> str:
    return unseal(keyring, blob, context=RRN_CONTEXT).decode()


def unseal_name(keyring: Keyring, blob: bytes) -> str:
    return unseal(keyring, blob, context=NAME_CONTEXT).decode()


def unseal_phone(keyring: Keyring, blob: bytes) -> str:
    return unseal(keyring, blob, context=PHONE_CONTEXT).decode()
