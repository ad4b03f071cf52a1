"""The portal's pure pieces: production refuses an insecure cookie and weak secrets and names it
`__Host-…`, session ids are the portal's own, CSRF tokens are bound to their session id, a
session's content is sealed to its row, the uploads' caps are issuance's, and sign-in only ever
sends a browser back to a path of the portal."""

import pytest

from medrec_portal.pages.signin import _safe_next


@pytest.mark.parametrize(
    ("asked", "sent"),
    [("/copies", "/copies"), ("//evil.example", "/records"), ("https://evil.example", "/records"),
     ("/\\evil", "/records"), ("", "/records"), (None, "/records")],
)  # fmt: skip
def test_sign_in_sends_the_browser_back_only_within_the_portal(
    asked: str | None, sent: str
) -> None:
    assert _safe_next(asked) == sent
