"""Identity's rules without the stack: client authentication and scopes, the operator secret's
rotation, and the guardianship link a child token may be minted for."""

from datetime import date

import pytest

from medrec_identity.children.service import KnownChild, allowed_link, refusal_detail
from medrec_shared.platform.problems import Problem
from medrec_shared.rules.guardianship import Refusal
from tests.support.builders import known, person


def test_a_parent_with_authority_gets_the_link_for_a_young_child() -> None:
    guardian, child = person(date(1980, 1, 1)), known(date(2015, 5, 5))
    link = allowed_link(guardian, child)
    assert (link.guardian, link.child, link.relation) == (guardian, child.person, "parent")
    assert link.child_birth_date == date(2015, 5, 5)


@pytest.mark.parametrize(
    ("child", "reason"),
    [
        (known(date(2006, 1, 1)), Refusal.AGE_LIMIT),
        (known(date(2016, 1, 1), authority=False), Refusal.NO_PARENTAL_AUTHORITY),
        (known(date(2016, 1, 1), relation=None), Refusal.NOT_A_GUARDIAN),
    ],
)
def test_a_refused_link_is_a_403_that_does_not_name_the_child(
    child: KnownChild, reason: Refusal
) -> None:
    assert child.decision.reason is reason
    with pytest.raises(Problem) as refused:
        allowed_link(person(date(1980, 1, 1)), child)
    assert refused.value.status == 403
    detail = refusal_detail(child.decision)
    assert child.entry.name not in detail and child.entry.rrn not in detail
