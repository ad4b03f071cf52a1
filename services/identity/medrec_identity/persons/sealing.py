"""A person's RRN and name are kept only sealed with the field keyring, each under its own
context so that one can never be unsealed as the other."""

from medrec_shared.platform.crypto import Keyring, seal, unseal

RRN_CONTEXT = b"identity.rrn"
NAME_CONTEXT = b"identity.name"


def seal_rrn(keyring: Keyring, rrn: str) -> bytes:
    return seal(keyring, rrn.encode(), context=RRN_CONTEXT)


def seal_name(keyring: Keyring, name: str) -> bytes:
    return seal(keyring, name.encode(), context=NAME_CONTEXT)


def unseal_rrn(keyring: Keyring, blob: bytes) -> str:
    return unseal(keyring, blob, context=RRN_CONTEXT).decode()


def unseal_name(keyring: Keyring, blob: bytes) -> str:
    return unseal(keyring, blob, context=NAME_CONTEXT).decode()
