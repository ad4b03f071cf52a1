"""The access history page as a citizen reads it: a staff act is named by the organisation and
the role (보관기관 심사관), never by the login of the person who did it (the auditor's to read)."""

import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

from medrec_portal.clients.models import AccessEntry
from medrec_portal.web import TEMPLATES


def entry(actor_type: str, actor_id: str, action: str = "view") -> AccessEntry:
    return AccessEntry(
        event_id=uuid.uuid4(),
        occurred_at=datetime(2026, 12, 7, 3, tzinfo=UTC),
        actor_type=actor_type,
        actor_id=actor_id,
        acting_for=None,
        action=action,
        resource_type="proxy_request",
        resource_id=str(uuid.uuid4()),
        decision="allowed",
        reason=None,
    )


def test_a_staff_act_is_shown_as_the_organisation_and_role() -> None:
    page = TEMPLATES.get_template("access_log.html").render(
        session=SimpleNamespace(signed_in=True, name="정미래", acting=None),
        csrf="x",
        nav="access-log",
        items=[
            entry("staff", "khis:reviewer"),
            entry("staff", "khis:reviewer", "link"),
            entry("citizen", "person-1", "list"),
        ],
    )
    assert page.count("보관기관 심사관") == 2
    assert "khis" not in page and "reviewer" not in page
    assert "본인" in page
