"""Identity's rules without the stack: client authentication and scopes, the operator secret's
rotation, and the guardianship link a child token may be minted for."""

import hashlib
import threading

import pytest

from medrec_identity.clients.oauth import InvalidClient, InvalidScope
from medrec_identity.clients.service import (
    authenticated,
    granted_scopes,
    new_client,
    rotate_secret,
)
from tests.support.builders import NOW

SECRET = "s3cret-for-tests"


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int, int, int]]:
    """Every scrypt the secrets module runs, still run for real: its cost parameters, and the
    thread it ran on."""
    calls: list[tuple[int, int, int, int, int]] = []
    real = hashlib.scrypt

    def counted(password: bytes, *, salt: bytes, n: int, r: int, p: int, dklen: int) -> bytes:
        calls.append((n, r, p, dklen, threading.get_ident()))
        return real(password, salt=salt, n=n, r=r, p=p, dklen=dklen)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    return calls


async def test_a_client_authenticates_with_its_secret_only() -> None:
    registered = new_client(
        "vendor",
        codes=[],
        scopes=["transfer:write"],
        client_id="c_1",
        secret=SECRET,
        created_at=NOW,
    )
    assert await authenticated(registered, SECRET) is registered
    assert registered.secret_hash != SECRET.encode()
    with pytest.raises(InvalidClient):
        await authenticated(registered, "wrong")
    with pytest.raises(InvalidClient):
        await authenticated(None, SECRET)


async def test_a_revoked_client_does_not_authenticate() -> None:
    registered = new_client(
        "vendor",
        codes=[],
        scopes=["transfer:write"],
        client_id="c_1",
        secret=SECRET,
        created_at=NOW,
    )
    registered.revoked_at = NOW
    with pytest.raises(InvalidClient):
        await authenticated(registered, SECRET)


async def test_an_unknown_client_costs_as_much_work_as_a_wrong_secret(
    scrypt_calls: list[tuple[int, int, int, int, int]],
) -> None:
    """No timing oracle for which client ids exist: an unknown id is hashed against a dummy,
    with the same scrypt cost as a known one."""
    registered = new_client(
        "vendor",
        codes=[],
        scopes=["transfer:write"],
        client_id="c_1",
        secret=SECRET,
        created_at=NOW,
    )
    scrypt_calls.clear()  # registering hashed the secret once
    with pytest.raises(InvalidClient):
        await authenticated(registered, "wrong")
    known = [call[:4] for call in scrypt_calls]
    scrypt_calls.clear()
    with pytest.raises(InvalidClient):
        await authenticated(None, "wrong")
    unknown = [call[:4] for call in scrypt_calls]
    assert known == unknown == [(2**14, 8, 1, 32)]


async def test_secrets_are_checked_off_the_event_loop(
    scrypt_calls: list[tuple[int, int, int, int, int]],
) -> None:
    """scrypt takes tens of milliseconds of CPU: it runs on a worker thread, never on the loop."""
    registered = new_client(
        "vendor",
        codes=[],
        scopes=["transfer:write"],
        client_id="c_1",
        secret=SECRET,
        created_at=NOW,
    )
    scrypt_calls.clear()
    await authenticated(registered, SECRET)
    with pytest.raises(InvalidClient):
        await authenticated(None, SECRET)
    loop_thread = threading.get_ident()
    assert len(scrypt_calls) == 2
    assert all(call[4] != loop_thread for call in scrypt_calls)


def test_a_client_gets_the_scopes_it_asks_for_within_its_own() -> None:
    registered = new_client(
        "svc",
        codes=[],
        scopes=["catalog:read", "metadata:read"],
        client_id="c_1",
        secret=SECRET,
        created_at=NOW,
    )
    assert granted_scopes(registered, None) == {"catalog:read", "metadata:read"}
    assert granted_scopes(registered, "metadata:read") == {"metadata:read"}
    with pytest.raises(InvalidScope):
        granted_scopes(registered, "metadata:read admin")


async def test_the_operator_secret_rotates_only_when_it_changed() -> None:
    operator = new_client(
        "operator", codes=[], scopes=["admin"], client_id="operator", secret=SECRET, created_at=NOW
    )
    assert not rotate_secret(operator, SECRET)
    assert rotate_secret(operator, "another-secret")
    assert await authenticated(operator, "another-secret") is operator
    with pytest.raises(InvalidClient):
        await authenticated(operator, SECRET)
