"""What one certified copy may hold, and the reasons a citizen reads when a copy goes over.

A copy is rendered in memory (fpdf, pypdf, Pillow), so everything rendered is bounded before it
is read: bytes per record and per copy (checked against the stored size before any download, and
again as the content arrives), pages of the copy (each page of a source PDF or image counts),
pixels per image frame (from the image's header, before it is decoded). Content that is only
listed (DICOM, other binaries) is never read, so it has no limit here. The reasons name a record
by its place in the request, never by its title or content: they are shown to the citizen and
carried in `IssuanceFailed`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

MiB: Final = 1024 * 1024


@dataclass(frozen=True, slots=True)
class CopyLimits:
    record_bytes: int = 32 * MiB
    content_bytes: int = 64 * MiB
    pages: int = 2000
    image_pixels: int = 20_000_000  # an A3 page scanned at 300 dpi is 17.4 million
    copy_bytes: int = 128 * MiB  # the signed copy


class OverLimit(Exception):
    """The copy cannot be produced within its limits; `reason` is what the citizen reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _mb(size: int) -> str:
    return f"{size / MiB:,.0f}MB"


_SPLIT: Final = "기록을 나누어 신청해 주세요."
_LEAVE_OUT: Final = "이 기록을 빼고 다시 신청해 주세요."


def record_too_large(position: int, limit: int) -> str:
    return f"{position}번째 기록이 사본에 담을 수 있는 크기({_mb(limit)})를 넘습니다. {_LEAVE_OUT}"


def content_too_large(limit: int) -> str:
    return (
        f"선택한 기록을 합친 크기가 사본 한 부에 담을 수 있는 크기({_mb(limit)})를 넘습니다. "
        f"{_SPLIT}"
    )


def too_many_pages(limit: int) -> str:
    return f"사본이 {limit:,}쪽을 넘습니다. {_SPLIT}"


def image_too_large(position: int, limit: int) -> str:
    return (
        f"{position}번째 기록의 이미지가 사본에 담을 수 있는 크기({limit:,}화소)를 넘습니다. "
        f"{_LEAVE_OUT}"
    )


def copy_too_large(limit: int) -> str:
    return f"완성된 사본이 발급할 수 있는 크기({_mb(limit)})를 넘습니다. {_SPLIT}"


OUT_OF_MEMORY: Final = f"사본을 만드는 데 필요한 메모리가 한도를 넘었습니다. {_SPLIT}"
TOO_SLOW: Final = f"사본을 만드는 데 걸리는 시간이 한도를 넘었습니다. {_SPLIT}"
RECORD_GONE: Final = (
    "선택한 기록 중 더 이상 보관되어 있지 않은 기록이 있어 사본을 만들 수 없습니다."
)
RECORD_NOT_THE_SUBJECTS: Final = (
    "선택한 기록 중 신청인의 기록이 아닌 것으로 확인된 기록이 있어 사본을 만들지 않았습니다. "
    "남은 기록으로 다시 발급을 신청할 수 있습니다."
)
NOT_PRODUCED: Final = "사본을 만들지 못했습니다."
# Why a copy was purged (issuances/handlers.py), in the same words for the citizen.
PURGED_RECORD_DESTROYED: Final = "사본에 담긴 기록의 보존기한이 끝나 사본이 폐기되었습니다."
PURGED_RECORD_UNLINKED: Final = (
    "사본에 담긴 기록 중 신청인의 기록이 아닌 것으로 확인된 기록이 있어 사본이 폐기되었습니다. "
    "남은 기록으로 다시 발급을 신청할 수 있습니다."
)
