"""Linkage without the stack: the normalisation rule and the match key (which ingest and identity
must compute alike, byte for byte), and catalog's linkage rules over a fake store: candidates in
both orders and once per pair, nothing linked automatically, final decisions, unlinking."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

import pytest

from medrec_catalog.linkage import service
from medrec_catalog.linkage.service import AlreadyDecided, NotLinked, RecordNotHeld
from medrec_catalog.models import (
    CandidateStatus,
    CatalogRecord,
    LinkageCandidate,
    LinkagePerson,
    RecordStatus,
)
from medrec_shared.platform.problems import NotFound
from medrec_shared.rules.events import AccessRecorded, RecordLinked, RecordUnlinked, StaffActed
from medrec_shared.rules.linkage import MatchKeys, match_key
from medrec_shared.rules.staff_acts import PersonRequired, SamePerson
from tests.support.builders import BORN, KEY
from tests.support.principals import machine, staff

NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
OP1, OP2, OP3 = staff("op-1"), staff("op-2"), staff("op-3")


# -- catalog's rules, over a fake store -------------------------------------------------------
class FakeStore:
    """The LinkageStore port in memory: what the repository does, without SQL."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, CatalogRecord] = {}
        self.persons: dict[str, LinkagePerson] = {}
        self.candidates: dict[uuid.UUID, LinkageCandidate] = {}
        self.locked: list[str] = []

    async def lock_match(self, match_keys: Iterable[str]) -> None:
        self.locked.extend(sorted(set(match_keys)))

    async def persons_matching(self, match_key: str) -> Sequence[LinkagePerson]:
        return [p for p in self.persons.values() if match_key in (p.match_key,
                                                                  p.match_key_any_sex)]  # fmt: skip

    async def unmatched_records_matching(
        self, match_keys: Sequence[str]
    ) -> Sequence[CatalogRecord]:
        return [r for r in self.records.values() if r.match_key in match_keys
                and r.person_key is None and r.status == RecordStatus.available]  # fmt: skip

    async def upsert_person(self, person: LinkagePerson) -> None:
        self.persons[person.person_key] = person

    async def add_candidate(self, candidate: LinkageCandidate) -> bool:
        pair = (candidate.record_id, candidate.person_key)
        if any((c.record_id, c.person_key) == pair for c in self.candidates.values()):
            return False
        self.candidates[candidate.candidate_id] = candidate
        return True

    async def candidate_for_update(self, candidate_id: uuid.UUID) -> LinkageCandidate | None:
        return self.candidates.get(candidate_id)

    async def candidates_of_record(self, record_id: uuid.UUID) -> Sequence[LinkageCandidate]:
        return [c for c in self.candidates.values() if c.record_id == record_id]

    async def record_for_update(self, record_id: uuid.UUID) -> CatalogRecord | None:
        return self.records.get(record_id)

    def of(self, record: CatalogRecord) -> dict[str, CandidateStatus]:
        return {c.person_key: c.status for c in self.candidates.values()
                if c.record_id == record.record_id}  # fmt: skip


def unmatched(sex: str = "female") -> CatalogRecord:
    return CatalogRecord(
        record_id=uuid.uuid4(),
        person_key=None,
        match_key=match_key(KEY, "류 하늘", BORN, sex),
        institution_code="71400001",
        kind="medical_record",
        specialty="medical",
        title="외래",
        service_start=date(2019, 3, 2),
        service_end=date(2019, 3, 9),
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        retention_until=date(2029, 3, 9),
        status=RecordStatus.available,
    )


def person(key: str, born: date = BORN, sex: str = "female") -> LinkagePerson:
    keys = MatchKeys.of(KEY, "유하늘", born, sex)
    return LinkagePerson(person_key=key * 64, person_id=uuid.uuid4(), match_key=keys.with_sex,
                         match_key_any_sex=keys.any_sex, verified_at=NOW)  # fmt: skip


async def world() -> tuple[FakeStore, CatalogRecord]:
    """Person a verified before the record arrived, b after, c born a day later."""
    store = FakeStore()
    await service.propose_for_person(store, person("a"), NOW)
    record = unmatched()
    store.records[record.record_id] = record
    assert await service.propose_for_record(store, record, NOW) == 1
    assert await service.propose_for_person(store, person("b"), NOW) == 1
    assert await service.propose_for_person(store, person("c", date(1961, 5, 18)), NOW) == 0
    return store, record


def candidate_of(store: FakeStore, key: str) -> LinkageCandidate:
    return next(c for c in store.candidates.values() if c.person_key == key * 64)


async def test_each_matching_person_is_proposed_once_whichever_came_first() -> None:
    store, record = await world()
    assert store.of(record) == {"a" * 64: "pending", "b" * 64: "pending"}
    assert record.person_key is None  # nothing is linked automatically
    # verifying again, or the record's event redelivered, proposes nothing more
    assert await service.propose_for_person(store, person("a"), NOW) == 0
    assert await service.propose_for_record(store, record, NOW) == 0
    assert {c.matched_on for c in store.candidates.values()} == {"name+birth_date+sex"}
    assert record.match_key in store.locked


async def test_a_record_of_unknown_sex_matches_on_name_and_birth_date() -> None:
    store = FakeStore()
    await service.propose_for_person(store, person("a", sex="male"), NOW)
    record = unmatched("unknown")
    store.records[record.record_id] = record
    assert await service.propose_for_record(store, record, NOW) == 1
    assert candidate_of(store, "a").matched_on == "name+birth_date"
    other = unmatched("female")
    store.records[other.record_id] = other
    assert await service.propose_for_record(store, other, NOW) == 0  # a man's is not hers


async def test_a_record_with_an_owner_or_no_longer_held_is_not_proposed() -> None:
    store = FakeStore()
    await service.propose_for_person(store, person("a"), NOW)
    owned, gone = unmatched(), unmatched()
    owned.person_key, gone.status = "z" * 64, RecordStatus.destroyed
    for record in (owned, gone):
        store.records[record.record_id] = record
        assert await service.propose_for_record(store, record, NOW) == 0
    assert await service.propose_for_person(store, person("b"), NOW) == 0


async def test_an_old_record_given_its_key_later_is_proposed_to_those_verified_before() -> None:
    store = FakeStore()
    await service.propose_for_person(store, person("a"), NOW)
    old, owned = unmatched(), unmatched()
    key = old.match_key
    assert key is not None
    for record in (old, owned):
        record.match_key = None  # deposited before match keys: none proposed it
        store.records[record.record_id] = record
    owned.person_key = "z" * 64
    assert await service.propose_for_keyed_record(store, old.record_id, key, NOW) == 1
    assert old.match_key == key and store.of(old) == {"a" * 64: "pending"}
    # redelivered, or another person verifying later: once each, as for any record
    assert await service.propose_for_keyed_record(store, old.record_id, key, NOW) == 0
    assert await service.propose_for_person(store, person("b"), NOW) == 1
    # linked (or unknown here): left alone
    assert await service.propose_for_keyed_record(store, owned.record_id, key, NOW) == 0
    assert await service.propose_for_keyed_record(store, uuid.uuid4(), key, NOW) == 0
    assert owned.match_key is None


async def linked(store: FakeStore, candidate_id: uuid.UUID) -> list[service.Announcement]:
    """Proposed by op-1, confirmed by op-2: what the confirmation announced."""
    await service.approve(store, candidate_id, reason="맞음", by=OP1, now=NOW)
    _, announced = await service.approve(store, candidate_id, reason="확인", by=OP2, now=NOW)
    return announced


async def test_approval_links_the_record_closes_the_others_and_tells_the_person() -> None:
    store, record = await world()
    mine = candidate_of(store, "a")
    announced = await linked(store, mine.candidate_id)
    assert record.person_key == "a" * 64
    assert store.of(record) == {"a" * 64: "approved", "b" * 64: "closed"}
    assert (mine.reason, mine.decided_by, mine.decided_at) == ("확인", "op-2", NOW)
    assert (mine.proposed_by, mine.proposal_reason) == ("op-1", "맞음")
    linked_, told, acted = (a.data for a in announced)
    assert isinstance(linked_, RecordLinked) and linked_.person_key == "a" * 64
    assert [a.topic for a in announced] == ["topic_record", "topic_audit", "topic_audit"]
    # a link and its undoing are keyed by the record: they reach ingest in order
    assert [a.key for a in announced] == [str(record.record_id), "a" * 64, "op-2"]
    # the person's history names the organisation and role; the audit trail names who
    assert isinstance(told, AccessRecorded)
    assert (told.action, told.actor_type, told.actor_id) == ("link", "staff", "khis:reviewer")
    assert told.subject_person_key == "a" * 64 and told.reason is None
    assert isinstance(acted, StaffActed)
    assert (acted.actor, acted.act, acted.subject_person_key) == (
        "op-2",
        "linkage_candidate.approve_link",
        "a" * 64,
    )


async def test_the_first_approval_only_proposes_and_another_reviewer_confirms() -> None:
    store, record = await world()
    mine = candidate_of(store, "a")
    proposed, announced = await service.approve(
        store, mine.candidate_id, reason="맞음", by=OP1, now=NOW
    )
    assert (proposed.status, proposed.proposed_by, proposed.proposed_at) == ("pending", "op-1", NOW)
    assert record.person_key is None
    assert [type(a.data) for a in announced] == [StaffActed]  # nothing for the person yet
    with pytest.raises(SamePerson):  # the proposer again: refused, nothing changed
        await service.approve(store, mine.candidate_id, reason="정말", by=OP1, now=NOW)
    assert store.of(record) == {"a" * 64: "pending", "b" * 64: "pending"}
    await service.approve(store, mine.candidate_id, reason="확인", by=OP3, now=NOW)
    assert record.person_key == "a" * 64


async def test_a_machine_account_decides_nothing() -> None:
    store, record = await world()
    mine = candidate_of(store, "a")
    for decide in (service.approve, service.reject):
        with pytest.raises(PersonRequired):
            await decide(store, mine.candidate_id, reason="자동", by=machine(), now=NOW)
    await linked(store, mine.candidate_id)
    with pytest.raises(PersonRequired):
        await service.unlink(store, record.record_id, reason="자동", by=machine(), now=NOW)
    assert record.person_key == "a" * 64


async def test_a_rejection_by_one_reviewer_ends_a_proposal() -> None:
    store, record = await world()
    mine = candidate_of(store, "a")
    await service.approve(store, mine.candidate_id, reason="맞음", by=OP1, now=NOW)
    _, announced = await service.reject(store, mine.candidate_id, reason="아님", by=OP2, now=NOW)
    assert store.of(record) == {"a" * 64: "rejected", "b" * 64: "pending"}
    assert [a.data.act for a in announced if isinstance(a.data, StaffActed)] == [
        "linkage_candidate.reject"
    ]
    with pytest.raises(AlreadyDecided):
        await service.approve(store, mine.candidate_id, reason="확인", by=OP3, now=NOW)


async def test_a_decision_is_final() -> None:
    store, record = await world()
    mine, theirs = candidate_of(store, "a"), candidate_of(store, "b")
    await linked(store, mine.candidate_id)
    for decide in (service.approve, service.reject):
        for candidate in (mine, theirs):
            with pytest.raises(AlreadyDecided):
                await decide(store, candidate.candidate_id, reason="다시", by=OP3, now=NOW)
    assert store.of(record) == {"a" * 64: "approved", "b" * 64: "closed"}


async def test_rejection_keeps_the_record_unmatched() -> None:
    store, record = await world()
    await service.reject(
        store, candidate_of(store, "a").candidate_id, reason="다른 사람", by=OP1, now=NOW
    )
    assert record.person_key is None
    assert store.of(record) == {"a" * 64: "rejected", "b" * 64: "pending"}
    assert await service.propose_for_person(store, person("a"), NOW) == 0  # it stands


async def test_no_such_candidate_and_a_record_gone_change_nothing() -> None:
    store, record = await world()
    with pytest.raises(NotFound):
        await service.approve(store, uuid.uuid4(), reason="확인", by=OP1, now=NOW)
    record.status = RecordStatus.destroyed
    with pytest.raises(RecordNotHeld):
        await service.approve(
            store, candidate_of(store, "a").candidate_id, reason="확인", by=OP1, now=NOW
        )
    assert store.of(record) == {"a" * 64: "pending", "b" * 64: "pending"}
    assert record.person_key is None


async def test_unlinking_withdraws_the_record_and_reopens_what_the_approval_closed() -> None:
    store, record = await world()
    with pytest.raises(NotLinked):
        await service.unlink(store, record.record_id, reason="잘못", by=OP1, now=NOW)
    await linked(store, candidate_of(store, "a").candidate_id)
    link, announced = await service.unlink(
        store, record.record_id, reason="동명이인", by=OP2, now=NOW
    )
    assert record.person_key is None
    assert store.of(record) == {"a" * 64: "unlinked", "b" * 64: "pending"}
    assert (link.unlink_reason, link.unlinked_by) == ("동명이인", "op-2")
    withdrawn, told, acted = (a.data for a in announced)
    assert isinstance(withdrawn, RecordUnlinked) and announced[0].key == str(record.record_id)
    assert isinstance(told, AccessRecorded) and told.action == "unlink"
    assert told.subject_person_key == "a" * 64 and told.actor_id == "khis:reviewer"
    assert isinstance(acted, StaffActed) and (acted.actor, acted.reason) == ("op-2", "동명이인")
    with pytest.raises(NotLinked):
        await service.unlink(store, record.record_id, reason="또", by=OP1, now=NOW)
    with pytest.raises(NotFound):
        await service.unlink(store, uuid.uuid4(), reason="없음", by=OP1, now=NOW)
