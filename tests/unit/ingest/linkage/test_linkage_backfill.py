"""The rule of ingest's match-key backfill (linkage/backfill.py): an old record's sealed patient
field gives the very key a deposit gives; a field that does not open is counted, not guessed;
only a stored record is announced (one awaiting content is announced by its RecordStored)."""

import json
import os
import uuid
from datetime import date

import pytest

from medrec_ingest.deposit.service import PATIENT_CONTEXT
from medrec_ingest.linkage.backfill import Unreadable, announced, match_key_of
from medrec_ingest.linkage.repository import Unkeyed
from medrec_ingest.models import RecordStatus
from medrec_shared.platform.crypto import LocalKeyring, seal
from medrec_shared.rules.linkage import match_key

INDEX_KEY = b"i" * 32
BORN = date(1958, 8, 21)
KEYRING = LocalKeyring({"kek-1": os.urandom(32)}, "kek-1")


def old_record(patient: object, status: RecordStatus = RecordStatus.stored) -> Unkeyed:
    sealed = seal(
        KEYRING, json.dumps(patient, ensure_ascii=False).encode(), context=PATIENT_CONTEXT
    )
    return Unkeyed(uuid.uuid4(), status, sealed, BORN, "female")


def test_an_old_record_gets_the_key_a_deposit_gives_it() -> None:
    row = old_record({"rrn": None, "name": "로 을빛"})
    key = match_key_of(KEYRING, INDEX_KEY, row)
    assert key == match_key(INDEX_KEY, "로 을빛", BORN, "female")
    assert key == match_key(INDEX_KEY, "노을빛", BORN, "female")  # the same rule folds both


@pytest.mark.parametrize(
    "row",
    [
        old_record({"rrn": None, "name": " "}),
        old_record({"rrn": None}),
        old_record(["노을빛"]),
        Unkeyed(uuid.uuid4(), RecordStatus.stored, b"not sealed", BORN, "female"),
        # sealed under a KEK this keyring does not have
        Unkeyed(
            uuid.uuid4(),
            RecordStatus.stored,
            seal(LocalKeyring({"kek-9": os.urandom(32)}, "kek-9"), b"{}", context=PATIENT_CONTEXT),
            BORN,
            "female",
        ),
    ],
)
def test_a_patient_field_that_gives_no_name_is_unreadable(row: Unkeyed) -> None:
    with pytest.raises(Unreadable) as raised:
        match_key_of(KEYRING, INDEX_KEY, row)
    assert "노을빛" not in str(raised.value)


def test_only_a_stored_record_is_announced() -> None:
    assert announced(old_record({"name": "노을빛"}, RecordStatus.stored))
    assert not announced(old_record({"name": "노을빛"}, RecordStatus.awaiting_content))
