"""The console's menu: each entry names the one scope its page requires (the scope of the API
calls behind it, medrec_shared.rules.staff), so a person sees exactly the entries their roles
allow, and a page they may not see refuses them with the same rule (`web.Page.require`)."""

from dataclasses import dataclass

from medrec_shared.rules import staff


@dataclass(frozen=True)
class Entry:
    key: str
    label: str
    path: str
    scope: str


NAVIGATION: tuple[Entry, ...] = (
    Entry("home", "현황", "/", staff.STATS_READ),
    Entry("transfers", "이관", "/transfers", staff.TRANSFERS_OVERSEE),
    Entry("closures", "폐업 의료기관", "/closures", staff.CLOSURES_MANAGE),
    Entry("transfer-requests", "이관 요청", "/transfer-requests", staff.TRANSFER_REQUESTS_READ),
    Entry("linkage", "연계 검토", "/linkage", staff.LINKAGE_REVIEW),
    Entry("proxy-requests", "대리 신청 검토", "/proxy-requests", staff.PROXY_REVIEW),
    Entry("destructions", "파기", "/destructions", staff.DESTRUCTIONS_READ),
    Entry("clients", "기관 연동", "/clients", staff.CLIENTS_MANAGE),
    Entry("dead-letters", "장애 이벤트", "/dead-letters", staff.DEAD_LETTERS_MANAGE),
    Entry("audit", "감사 로그", "/audit", staff.AUDIT_READ),
    Entry("staff", "직원 관리", "/staff", staff.STAFF_MANAGE),
)
BY_KEY = {entry.key: entry for entry in NAVIGATION}


def allowed(scopes: frozenset[str]) -> list[Entry]:
    """The entries a person holding `scopes` sees, in the menu's order."""
    return [entry for entry in NAVIGATION if entry.scope in scopes]
