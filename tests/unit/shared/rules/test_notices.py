"""Every notice kind has a label and a sentence; a sentence is filled from its parameters only
(a missing one leaves its place empty, never a brace or a failure), and an unknown kind says
nothing."""

import pytest

from medrec_shared.rules.notices import NOTICE_LABELS, NOTICE_TEXT, NoticeKind, notice_text


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_each_kind_has_a_label_and_a_sentence(kind: NoticeKind) -> None:
    assert NOTICE_LABELS[kind] and NOTICE_TEXT[kind]
    said = notice_text(kind, {})
    assert said and "{" not in said and "}" not in said


def test_the_retention_sentence_names_the_institution_the_kind_the_date_and_what_to_do() -> None:
    said = notice_text(
        "retention_ending",
        {"institution": "한빛의원", "record_kind": "처방전", "until": "2027-03-01"},
    )
    assert "한빛의원" in said and "처방전" in said and "2027-03-01" in said
    assert "사본 발급" in said


def test_an_unknown_kind_says_nothing() -> None:
    assert notice_text("lottery_won", {"number": "1"}) == ""
