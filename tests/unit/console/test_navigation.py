"""Each role sees the menu entries its scopes allow, in the menu's order, and nothing else."""

from medrec_console.navigation import NAVIGATION, allowed
from medrec_shared.rules.staff import ROLE_SCOPES, scopes_for


def labels(*roles: str) -> list[str]:
    return [entry.label for entry in allowed(scopes_for(roles))]


def test_each_role_sees_its_entries() -> None:
    assert labels("reviewer") == ["현황", "연계 검토", "대리 신청 검토"]
    assert labels("health_centre") == ["현황", "이관", "폐업 의료기관", "이관 요청"]
    assert labels("auditor") == ["현황", "파기", "감사 로그"]
    assert labels("platform") == [
        "현황", "이관", "폐업 의료기관", "이관 요청",
        "파기", "기관 연동", "장애 이벤트", "직원 관리",
    ]  # fmt: skip
    assert labels() == []


def test_every_entry_is_reachable_by_some_role() -> None:
    everything = frozenset().union(*ROLE_SCOPES.values())
    assert [e.label for e in allowed(everything)] == [e.label for e in NAVIGATION]
    assert len({e.path for e in NAVIGATION}) == len(NAVIGATION)
