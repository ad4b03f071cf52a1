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
