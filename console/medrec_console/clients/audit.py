"""catalog's audit trail as an auditor searches it (`audit:read`): who (the person's login or
the machine account), what act, on which record, when. The answer names the person and never
the citizen: a search by `subject` finds the acts on a person's records without saying whose."""

from datetime import date, datetime, time, timedelta
from typing import Any

from medrec_console.clients.http import Api
from medrec_console.clients.models import AuditEntries
from medrec_shared.platform.clock import KST


def _midnight(day: date) -> str:
    """The start of `day` in Asia/Seoul, as catalog's `since`/`until` (datetimes) take it."""
    return datetime.combine(day, time(), KST).isoformat()


class AuditClient:
    def __init__(self, catalog: Api) -> None:
        self.api = catalog

    async def search(
        self,
        token: str,
        *,
        actor: str | None = None,
        act: str | None = None,
        resource_id: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> AuditEntries:
        """The entries matching every criterion given, newest first; `since` and `until` are
        days in Asia/Seoul, both included (catalog's `until` is an exclusive moment: the next
        day's midnight)."""
        params: dict[str, Any] = {"limit": limit}
        found: dict[str, Any] = {
            "actor": actor, "act": act, "resource_id": resource_id, "cursor": cursor,
            "since": _midnight(since) if since else None,
            "until": _midnight(until + timedelta(days=1)) if until else None,
        }  # fmt: skip
        params |= {name: value for name, value in found.items() if value}
        return await self.api.call(
            AuditEntries, "GET", "/v1/admin/audit", token=token, params=params
        )
