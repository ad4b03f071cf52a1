"""The errors of :mod:`medrec_shared.platform.crypto`. None of them carries key material or
content."""

__all__ = ["CryptoError", "DecryptionError", "KeyringError"]


class CryptoError(Exception):
    """Base class of the errors raised by this package."""


class DecryptionError(CryptoError):
    """Ciphertext refused: tampered, truncated, reordered, extended or wrong key.

    Deliberately carries no detail: callers must not learn anything about the content.
    """

    def __init__(self) -> None:
        super().__init__("decryption failed")


class KeyringError(CryptoError):
    """Keyring misconfiguration or unknown / retired KEK id. Never contains key material."""
