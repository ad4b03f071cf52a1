"""issuance's rules without the stack: who may see or copy what (medrec_issuance.access), when a
copy may be downloaded, what the public check calls authentic, and how an operator reviews an
Art. 21 request (each once, with the documents its relation needs)."""

import base64
import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.bootstrap import build
from medrec_issuance.issuances import service as issuances
from medrec_issuance.issuances.documents import Selection
from medrec_issuance.issuances.schemas import issuance_out
from medrec_issuance.models import (
    IssuanceStatus,
)
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.auth import Principal
from medrec_shared.platform.clock import KST
from medrec_shared.platform.pages import page_of
from medrec_shared.platform.problems import (
    Gone,
    NotFound,
    Unauthorized,
)
from medrec_shared.rules.contracts import CatalogedRecord, DocumentFacts, RecordSummary
from tests.support.copies import (
    CHILD,
    NOW,
    cataloged,
    citizen,
    issuance,
)

# --- requesting and downloading a copy ------------------------------------------------------


class Catalog:
    """catalog as the rules see it (`issuances.service.RecordLookup`): metadata by id."""

    def __init__(self, records: dict[uuid.UUID, CatalogedRecord]) -> None:
        self.records = records

    async def record(self, record_id: uuid.UUID) -> CatalogedRecord | None:
        return self.records.get(record_id)

    async def records_of(self, person_key: str, institution: str | None) -> list[RecordSummary]:
        return [r for r in self.records.values() if r.person_key == person_key]


class NoIdentity:
    """identity as the rules see it (`issuances.service.SubjectNames`), never asked here."""

    async def subject_name(self, bearer: str) -> str:
        raise AssertionError("a refused request never asks for the name")


class NoFacts:
    """ingest as the rules see it (`issuances.service.FactsLookup`), never asked here."""

    async def document_facts(self, record_ids: object) -> list[DocumentFacts]:
        raise AssertionError("a refused request never asks for facts")


class StillClock:
    def now(self) -> datetime:
        return NOW


SECRET = "s" * 43


SETTINGS = IssuanceSettings(
    environment="local",
    database_url="postgresql+asyncpg://medrec@127.0.0.1:1/medrec",
    kafka_bootstrap_servers="127.0.0.1:1",
    identity_url="http://127.0.0.1:1",
    s3_url="http://127.0.0.1:1",
    s3_access_key="medrec",
    s3_secret_key=SECRET,
    content_keys=f"kek-1:{base64.b64encode(bytes(32)).decode()}",
    content_key_active="kek-1",
    person_index_key=SECRET,
    client_id="issuance",
    client_secret=SECRET,
)


async def refused_request(
    principal: Principal, catalog: Catalog, record_ids: list[uuid.UUID]
) -> None:
    # The service as the composition root builds it, with catalog and identity as the rules see
    # them, and a session bound to no database: a refused request must not reach it.
    parts = build(SETTINGS)
    try:
        service = issuances.Issuances(
            settings=parts.settings,
            clock=StillClock(),
            vault=parts.vault,
            catalog=catalog,
            identity=NoIdentity(),
            facts=NoFacts(),
        )
        await service.request(
            AsyncSession(),
            principal,
            bearer="token",
            selection=Selection(record_ids=record_ids),
            purpose=None,
        )
    finally:
        await parts.aclose()


async def test_a_request_naming_another_persons_record_is_not_found() -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    catalog = Catalog(
        {mine: cataloged("key-person-child"), theirs: cataloged("key-person-stranger")}
    )
    with pytest.raises(NotFound) as refused:
        await refused_request(citizen(CHILD), catalog, [mine, theirs])
    assert str(theirs) in refused.value.detail
    with pytest.raises(NotFound):
        await refused_request(citizen(CHILD), catalog, [uuid.uuid4()])


async def test_a_copy_needs_a_citizen_token() -> None:
    with pytest.raises(Unauthorized):
        await refused_request(citizen("client-x", person_key=None), Catalog({}), [uuid.uuid4()])


def test_a_ready_unexpired_copy_is_downloadable() -> None:
    issuances.check_downloadable(issuance(), NOW)


@pytest.mark.parametrize("status", [IssuanceStatus.pending, IssuanceStatus.failed])
def test_a_copy_that_is_not_ready_is_a_conflict(status: IssuanceStatus) -> None:
    with pytest.raises(issuances.NotReady) as refused:
        issuances.check_downloadable(issuance(status=status, expires_at=None), NOW)
    assert refused.value.status == 409
    assert refused.value.detail == f"The copy is {status.value}."


def test_an_expired_or_purged_copy_is_gone() -> None:
    expired = issuance(expires_at=NOW - timedelta(seconds=1))
    with pytest.raises(Gone, match="expired"):
        issuances.check_downloadable(expired, NOW)
    with pytest.raises(Gone, match="retention"):
        issuances.check_downloadable(issuance(status=IssuanceStatus.purged), NOW)


def test_a_ready_copy_past_its_expiry_reads_as_expired_from_its_expiry_instant_on() -> None:
    # Moved from the portal's rules: the portal shows the status issuance answers.
    expires = datetime(2026, 1, 1, tzinfo=KST)
    ready = issuance(expires_at=expires)
    assert issuance_out(ready, datetime(2025, 12, 31, tzinfo=KST)).status == "ready"
    assert issuance_out(ready, datetime(2026, 1, 2, tzinfo=KST)).status == "expired"
    purged = issuance(status=IssuanceStatus.purged, expires_at=expires)
    assert issuance_out(purged, datetime(2026, 1, 2, tzinfo=KST)).status == "purged"
    # One rule, one comparison: a copy expires AT its expires_at instant, for the status and
    # for the download alike.
    assert issuance_out(ready, expires - timedelta(microseconds=1)).status == "ready"
    issuances.check_downloadable(ready, expires - timedelta(microseconds=1))
    assert issuance_out(ready, expires).status == "expired"
    with pytest.raises(Gone, match="expired"):
        issuances.check_downloadable(ready, expires)


def test_a_copy_being_rendered_reads_as_pending() -> None:
    rendering = issuance(status=IssuanceStatus.rendering, expires_at=None)
    assert issuance_out(rendering, NOW).status == "pending"
    with pytest.raises(issuances.NotReady) as refused:
        issuances.check_downloadable(rendering, NOW)
    assert refused.value.detail == "The copy is pending."


def test_issuance_numbers_and_codes_are_typed_by_hand() -> None:
    assert issuances.new_number(NOW).startswith("MR-20260302-")
    code = issuances.new_code()
    assert len(code) == 8 and not set(code) & set("01IO")


def test_my_issuances_keep_their_json_shape() -> None:
    rows = [issuance(), issuance(), issuance()]
    for row in rows:
        row.created_at = NOW
    page = page_of(rows, 2, lambda i: issuance_out(i, NOW), lambda i: str(i.issuance_id))
    body = json.loads(page.model_dump_json())
    assert list(body) == ["items", "next_cursor"]
    assert body["next_cursor"] == str(rows[1].issuance_id)
    assert body["items"][0]["status"] == "ready"
    assert list(body["items"][0]) == [
        "issuance_id",
        "status",
        "failure_reason",
        "issuance_number",
        "verification_code",
        "record_count",
        "pages",
        "sha256",
        "created_at",
        "expires_at",
        "document_type",
        "document_label",
        "institution_code",
        "period",
        "include_diagnoses",
    ]
    assert body["items"][0]["document_label"] == "진료기록 사본"
    last = json.loads(
        page_of(
            rows, 3, lambda i: issuance_out(i, NOW), lambda i: str(i.issuance_id)
        ).model_dump_json()
    )
    assert last["next_cursor"] is None
