"""Notices a person who has signed in may choose to be told (DOMAIN.md, "Notices"). A notice
carries no clinical content: at most an institution's name, a record kind's label, an issuance
number and a date. Nothing is sent to someone who never signed in."""

from enum import StrEnum
from typing import Final


class NoticeKind(StrEnum):
    copy_ready = "copy_ready"  # a copy or document is ready
    share_opened = "share_opened"  # a recipient opened a share link
    transfer_arrived = "transfer_arrived"  # a clinic the person asked for has transferred
    retention_ending = "retention_ending"  # a record of theirs is destroyed in 90 days
    proxy_decided = "proxy_decided"  # an Art. 21 request was decided


NOTICE_LABELS: Final[dict[NoticeKind, str]] = {
    NoticeKind.copy_ready: "서류 발급 완료",
    NoticeKind.share_opened: "제출 서류 열람",
    NoticeKind.transfer_arrived: "요청한 의료기관 이관 완료",
    NoticeKind.retention_ending: "보존기간 만료 예정",
    NoticeKind.proxy_decided: "대리 신청 결과",
}

#: How far ahead of a record's retention end its person is told (so they can get a copy first).
RETENTION_NOTICE_DAYS: Final = 90

#: What each kind says, filled from `NoticeRequested.params` (no clinical content: an
#: institution's name, a record kind's label, an issuance number, a date at most). A missing
#: parameter leaves its place empty rather than failing (`notice_text`).
NOTICE_TEXT: Final[dict[NoticeKind, str]] = {
    NoticeKind.copy_ready: (
        "신청하신 서류(발급번호 {number})가 준비되었습니다. 발급 이력에서 열람하세요."
    ),
    NoticeKind.share_opened: "제출하신 서류(발급번호 {number})를 {recipient}에서 열람했습니다.",
    NoticeKind.transfer_arrived: (
        "이관을 요청하신 {institution}의 진료기록이 보관되었습니다. 내 진료기록에서 확인하세요."
    ),
    NoticeKind.retention_ending: (
        "{institution}의 {record_kind}은(는) 보존기간이 {until}에 끝나 파기됩니다. "
        "필요하시면 그 전에 사본 발급을 신청하세요."
    ),
    NoticeKind.proxy_decided: (
        "대리 신청({request})이 {decision}되었습니다. 대리 신청에서 확인하세요."
    ),
}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def notice_text(kind: str, params: dict[str, str]) -> str:
    """The sentence a notice of `kind` says; an unknown kind says its label or nothing."""
    try:
        template = NOTICE_TEXT[NoticeKind(kind)]
    except ValueError:
        return ""
    return template.format_map(_Blank(params))
