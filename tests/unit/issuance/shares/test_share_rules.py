"""A share's status and its access code as typed, and how the citizen's history names the
recipient: the rules free of I/O (the whole flow is tests/e2e/test_shares.py)."""

import uuid
from datetime import UTC, datetime, timedelta

from medrec_issuance.models import Share
from medrec_issuance.shares.schemas import ShareIn, ShareStatus, status_at
from medrec_issuance.shares.service import normalised_code
from medrec_portal.messages import actor_label
from medrec_shared.rules.audit import recipient_download

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def share(**fields: object) -> Share:
    base: dict[str, object] = {
        "share_id": uuid.uuid4(),
        "issuance_id": uuid.uuid4(),
        "recipient": "한빛손해보험",
        "token_digest": "t",
        "access_code_digest": "c",
        "expires_at": NOW + timedelta(days=1),
        "revoked_at": None,
        "downloads": 0,
        "created_at": NOW,
    }
    return Share(**(base | fields))


def test_a_share_expires_at_its_instant_and_revoked_wins() -> None:
    made = share(expires_at=NOW)
    assert status_at(made, NOW - timedelta(microseconds=1)) == ShareStatus.active
    assert status_at(made, NOW) == ShareStatus.expired
    assert status_at(share(revoked_at=NOW), NOW + timedelta(days=9)) == ShareStatus.revoked


def test_a_typed_code_ignores_spaces_and_hyphens() -> None:
    assert normalised_code(" 123 456 ") == "123456"
    assert normalised_code("123-456") == "123456"


def test_the_recipient_is_trimmed_and_bounded() -> None:
    assert ShareIn(recipient="  한빛손해보험 ", expires_in_days=30).recipient == "한빛손해보험"
    assert ShareIn(recipient="보험", expires_in_days=1).expires_in_days == 1


def test_the_history_names_the_recipient() -> None:
    event = recipient_download("k" * 64, uuid.uuid4(), "한빛손해보험", uuid.uuid4())
    assert event.actor_type == "recipient" and event.action == "download"
    label = actor_label(event.actor_type, event.actor_id, event.reason)
    assert label == "제출받은 곳: 한빛손해보험"
