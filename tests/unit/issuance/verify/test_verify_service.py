"""issuance's rules without the stack: who may see or copy what (medrec_issuance.access), when a
copy may be downloaded, what the public check calls authentic, and how an operator reviews an
Art. 21 request (each once, with the documents its relation needs)."""

import pytest

from medrec_issuance.models import (
    IssuanceStatus,
)
from medrec_issuance.verify.service import code_matches, was_issued
from tests.support.copies import issuance

# --- the public check -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "issued"),
    [
        (IssuanceStatus.ready, True),
        (IssuanceStatus.purged, True),  # a purged copy was still issued
        (IssuanceStatus.pending, False),
        (IssuanceStatus.failed, False),
    ],
)
def test_only_issued_copies_are_authentic(status: IssuanceStatus, issued: bool) -> None:
    assert was_issued(issuance(status=status)) is issued
    assert not was_issued(None)


def test_the_code_ignores_case_and_surrounding_spaces() -> None:
    copy = issuance()
    assert code_matches(copy, " abcdefgh ")
    assert not code_matches(copy, "ABCDEFGX")
