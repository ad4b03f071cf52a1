"""A document asked for through `Issuances` without the stack: the records it is made from are
the subject's (at the institution named, or each one named), their facts are read only once
they are known to be the subject's, and a preview is one access event for the subject, none
when there is nothing to show."""

import base64
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from medrec_issuance.bootstrap import build
from medrec_issuance.issuances.documents import NothingToShow, Selection
from medrec_issuance.issuances.service import Issuances
from medrec_issuance.settings import IssuanceSettings
from medrec_shared.platform.messaging import open_unit
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.contracts import CatalogedRecord, DocumentFacts, RecordSummary
from medrec_shared.rules.documents import DocumentType, Period
from tests.support.copies import CHILD, GUARDIAN, NOW, cataloged, citizen, summary

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
CODE = "12345678"
YEAR = Period(start=date(2024, 1, 1), end=date(2024, 12, 31))


class Catalog:
    """catalog as the rules see it: the child's records at CODE, and one of a stranger's."""

    def __init__(self) -> None:
        self.mine = [summary(), summary()]
        self.theirs = cataloged("key-person-stranger")
        self.asked: list[tuple[str, str | None]] = []

    async def record(self, record_id: uuid.UUID) -> CatalogedRecord | None:
        for record in self.mine:
            if record.record_id == record_id:
                return CatalogedRecord(
                    **record.model_dump(), person_key=f"key-{CHILD}", sha256="0" * 64
                )
        return self.theirs if record_id == self.theirs.record_id else None

    async def records_of(self, person_key: str, institution: str | None) -> list[RecordSummary]:
        self.asked.append((person_key, institution))
        return self.mine


class Facts:
    """ingest's facts: the first record visited on 2024-03-02, the second holds nothing."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.asked: list[list[uuid.UUID]] = []

    async def document_facts(self, record_ids: Sequence[uuid.UUID]) -> list[DocumentFacts]:
        self.asked.append(list(record_ids))
        visited = self.catalog.mine[0].record_id
        return [
            DocumentFacts(
                record_id=visited,
                schema_version="2",
                specialty="medical",
                visit_dates=[date(2024, 3, 2)],
                admissions=[],
                bills=[],
                payments=[],
                prescription_dates=[],
                has_diagnoses=True,
            )
        ]


class StillClock:
    def now(self) -> datetime:
        return NOW


class NoIdentity:
    async def subject_name(self, bearer: str) -> str:
        raise AssertionError("a preview never asks for the name")


@dataclass
class Parts:
    service: Issuances
    catalog: Catalog
    facts: Facts
    session: AsyncSession

    def announced(self) -> list[Any]:
        """The events announced in the session's unit of work, not yet written."""
        return [a.event for a in self.session.info["medrec.announced"]]


@pytest.fixture
async def parts() -> AsyncIterator[Parts]:
    built = build(SETTINGS)
    catalog = Catalog()
    facts = Facts(catalog)
    service = Issuances(
        settings=built.settings,
        clock=StillClock(),
        vault=built.vault,
        catalog=catalog,
        identity=NoIdentity(),
        facts=facts,
    )
    session = AsyncSession()  # bound to no database: a preview writes no row
    open_unit(session, built.outbox)
    yield Parts(service, catalog, facts, session)
    await built.aclose()


async def test_a_guardians_preview_is_made_from_the_childs_records_at_the_institution(
    parts: Parts,
) -> None:
    service, catalog, facts, session = parts.service, parts.catalog, parts.facts, parts.session
    guardian = citizen(CHILD, actor=GUARDIAN)
    selection = Selection(
        document_type=DocumentType.treatment_confirmation,
        institution_code=CODE,
        period=YEAR,
        include_diagnoses=True,
    )
    plan = await service.preview(session, guardian, selection)
    assert catalog.asked == [(f"key-{CHILD}", CODE)]
    assert facts.asked == [[r.record_id for r in catalog.mine]]
    assert plan.record_ids == [catalog.mine[0].record_id]  # the one with a visit
    assert plan.visits == [date(2024, 3, 2)] and plan.diagnoses_included
    [event] = parts.announced()
    assert (event.action, event.resource_type, event.resource_id) == (
        "view",
        "document_preview",
        "treatment_confirmation",
    )
    assert (event.subject_person_key, event.actor_type, event.actor_id) == (
        f"key-{CHILD}",
        "guardian",
        GUARDIAN,
    )


async def test_another_persons_record_is_not_found_before_any_fact_is_read(
    parts: Parts,
) -> None:
    service, catalog, facts, session = parts.service, parts.catalog, parts.facts, parts.session
    selection = Selection(
        document_type=DocumentType.receipt,
        record_ids=[catalog.mine[0].record_id, catalog.theirs.record_id],
    )
    with pytest.raises(NotFound):
        await service.preview(session, citizen(CHILD), selection)
    assert facts.asked == [] and parts.announced() == []


async def test_nothing_to_show_is_refused_and_no_access_is_recorded(
    parts: Parts,
) -> None:
    service, session = parts.service, parts.session
    selection = Selection(document_type=DocumentType.receipt, institution_code=CODE, period=YEAR)
    with pytest.raises(NothingToShow) as refused:
        await service.preview(session, citizen(CHILD), selection)
    assert refused.value.detail == "선택한 기간에 발급할 진료비 영수증이 없습니다."
    assert parts.announced() == []
