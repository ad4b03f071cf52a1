"""Ingest's rules, without a database: the deposit judgement, completion's count check and what
it names, release and its grace period, and "today" taken from the service's clock."""

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from medrec_ingest.models import TransferStatus
from medrec_ingest.release.export import base64_pieces
from medrec_ingest.release.service import (
    GraceOver,
    NotReleased,
    NotSuspended,
    check_exportable,
    propose_release,
    release,
)
from tests.support.builders import a_transfer
from tests.support.principals import staff

NOW = datetime(2026, 6, 1, 3, tzinfo=UTC)


# -- release ------------------------------------------------------------------------------------
def test_releasing_a_suspended_institutions_transfer_opens_its_grace_period() -> None:
    transfer = a_transfer(reason="suspension")
    assert release(transfer, NOW, timedelta(days=90))
    assert transfer.status == TransferStatus.released
    assert transfer.released_at == NOW
    assert transfer.grace_until == NOW + timedelta(days=90)


def test_releasing_again_changes_nothing() -> None:
    transfer = a_transfer(status=TransferStatus.released, released_at=NOW, grace_until=NOW)
    assert not release(transfer, NOW + timedelta(days=1), timedelta(days=90))
    assert transfer.released_at == NOW and transfer.grace_until == NOW


def test_a_closed_institutions_records_are_not_released() -> None:
    transfer = a_transfer(reason="closure")
    with pytest.raises(NotSuspended):
        release(transfer, NOW, timedelta(days=90))
    assert transfer.status == TransferStatus.open


def test_a_release_proposed_is_kept_and_changes_nothing_else() -> None:
    transfer = a_transfer(reason="suspension")
    propose_release(transfer, by=staff("park", "platform"), reason="재개원 확인", now=NOW)
    assert (transfer.release_proposed_by, transfer.release_proposed_at) == ("park", NOW)
    assert transfer.release_reason == "재개원 확인"
    assert (transfer.status, transfer.released_at) == (TransferStatus.open, None)
    with pytest.raises(NotSuspended):  # a closure's cannot even be proposed
        propose_release(a_transfer(reason="closure"), by=staff("park"), reason=None, now=NOW)


def test_records_are_exported_only_after_release_and_before_the_grace_period_ends() -> None:
    with pytest.raises(NotReleased):
        check_exportable(a_transfer(), NOW)
    released = a_transfer(status=TransferStatus.released, grace_until=NOW + timedelta(days=1))
    check_exportable(released, NOW)
    with pytest.raises(GraceOver):
        check_exportable(released, NOW + timedelta(days=1))


@pytest.mark.parametrize("sizes", [[], [1], [2, 2, 2], [3, 1, 5], [7] * 4])
async def test_content_streamed_as_base64_is_the_base64_of_the_whole(sizes: list[int]) -> None:
    data = bytes(range(256)) * 2
    pieces, start = [], 0
    for size in sizes:
        pieces.append(data[start : start + size])
        start += size

    async def chunks() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    encoded = b"".join([p async for p in base64_pieces(chunks())])
    assert encoded == base64.b64encode(b"".join(pieces))
