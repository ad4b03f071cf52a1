"""The portal's pure pieces: production refuses an insecure cookie and weak secrets and names it
`__Host-…`, session ids are the portal's own, CSRF tokens are bound to their session id, a
session's content is sealed to its row, the uploads' caps are issuance's, and sign-in only ever
sends a browser back to a path of the portal."""

import secrets

import pytest

from medrec_portal.sessions.service import (
    Acting,
    SessionData,
)
from medrec_shared.platform.crypto import DecryptionError, LocalKeyring, seal, unseal
from medrec_shared.platform.frontdoor.sessions import SessionIds, csrf_token, csrf_valid, id_hash
from tests.support.builders import key_spec


def test_only_ids_the_portal_issued_are_its_own() -> None:
    ids, elsewhere = SessionIds(b"k" * 32), SessionIds(b"j" * 32)
    one = ids.new()
    assert ids.issued(one) and len(one) == 64 and one != ids.new()
    made_up = secrets.token_urlsafe(48)  # as long as ours, without our tag
    for stranger in (elsewhere.new(), made_up, one[:-1] + ("A" if one[-1] != "A" else "B"),
                     secrets.token_urlsafe(32), "short", "", None, "가" * 64):  # fmt: skip
        assert not ids.issued(stranger), stranger


def test_a_csrf_token_belongs_to_one_session() -> None:
    ids = SessionIds(b"i" * 32)
    key, one, other = b"k" * 32, ids.new(), ids.new()
    assert csrf_valid(key, one, csrf_token(key, one))
    assert not csrf_valid(key, other, csrf_token(key, one))
    assert not csrf_valid(key, one, None) and not csrf_valid(key, one, "")


def test_a_sealed_session_opens_only_in_its_own_row() -> None:
    keyring = LocalKeyring.from_spec(key_spec(), "kek-1")
    data = SessionData(token="t", person_id="p", acting=Acting("c", "자녀", "ct"))
    ids = SessionIds(b"i" * 32)
    one, other = id_hash(ids.new()), id_hash(ids.new())
    blob = seal(keyring, data.to_json(), context=b"portal.session" + one)
    opened = SessionData.from_json(unseal(keyring, blob, context=b"portal.session" + one))
    assert opened == data and opened.subject_token == "ct"
    with pytest.raises(DecryptionError):
        unseal(keyring, blob, context=b"portal.session" + other)


def test_a_session_sealed_by_an_older_portal_still_opens() -> None:
    """Sessions once kept the ids of their proxy requests (issuance lists them now)."""
    old = b'{"token": "t", "person_id": "p", "acting": null, "proxy_requests": ["r-1"]}'
    data = SessionData.from_json(old)
    assert (data.token, data.person_id, data.acting) == ("t", "p", None)
