"""Request-scoped dependencies: the session (its transaction owned by the request), settings,
the field keyring."""

from typing import Annotated

from fastapi import Depends, Request

from medrec_identity.settings import IdentitySettings
from medrec_shared.crypto import Keyring
from medrec_shared.db import DbSession


def _settings(request: Request) -> IdentitySettings:
    settings: IdentitySettings = request.app.state.settings
    return settings


def _keyring(request: Request) -> Keyring:
    keyring: Keyring = request.app.state.keyring
    return keyring


Session = DbSession
Settings = Annotated[IdentitySettings, Depends(_settings)]
FieldKeyring = Annotated[Keyring, Depends(_keyring)]
