"""No RRN, name or clinical content in ingest's logs, problems, events or object keys, whatever
a depositor sends: accepted, refused, conflicting, streamed or in a batch."""

import hashlib
import json
import re

from medrec_devstack.cluster import Cluster
from tests.support.builders import BIRTH, NAME, NOTE, RRN, a_record, batch_line, declared, inline
from tests.support.ingest import IngestStore, NewDepositor

SEGMENT_KEY = re.compile(r"segments/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
FORBIDDEN = [RRN, RRN.replace("-", ""), NAME, NOTE, "INGEST-SECRET-NOTE-4711"]


def test_personal_data_stays_out_of_logs_problems_events_and_keys(
    cluster: Cluster, new_depositor: NewDepositor, store: IngestStore
) -> None:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "비밀의원")
    answers: list[str] = []
    with_digit = {"rrn": RRN, "name": NAME + "1", "birth_date": BIRTH, "sex": "male"}
    bad_rrn = {"rrn": RRN[:-1] + "x", "name": NAME, "birth_date": BIRTH, "sex": "male"}
    for external_id, body in [
        ("p-1", a_record()),
        ("p-1", a_record(title="다른")),  # conflict
        ("p-2", a_record(patient=with_digit)),
        ("p-3", a_record(patient=bad_rrn)),
        ("p-4", a_record(content=inline(NOTE.encode(), "application/pdf"))),
        (RRN, a_record()),
    ]:
        answers.append(client.put_record(transfer_id, external_id, body).text)
    data = NOTE.encode() * 100
    assert client.put_record(transfer_id, "p-5", a_record(content=declared(data, "text/plain"))
                             ).status_code == 201  # fmt: skip
    answers.append(client.put_content(transfer_id, "p-5", data[::-1], "text/plain",
                                      digest=None).text)  # fmt: skip
    answers.append(client.put_content(transfer_id, "p-5", data, "text/plain").text)
    answers.append(
        json.dumps(
            client.batch(transfer_id, [
                batch_line("p-6", a_record()),
                batch_line("p-7", a_record(kind=NOTE)),
                b"{" + NOTE.encode(),
                json.dumps({"external_id": RRN, "note": NOTE}).encode(),
            ]),
            ensure_ascii=False,
        )
    )  # fmt: skip
    answers.append(client.complete(transfer_id, 99).text)
    answers.append(client.ingest.get(f"/v1/transfers/{transfer_id}").text)

    for text in answers:
        for value in FORBIDDEN:
            assert value not in text, (value, text[:300])
    for envelope in store.fetch("SELECT envelope::text AS e FROM outbox"):
        for value in FORBIDDEN:
            assert value not in envelope["e"]
    for row in store.records(transfer_id):
        key = row["object_key"]  # ids only: storage operators see keys
        assert key is None or str(row["record_id"]) in key or SEGMENT_KEY.fullmatch(key)
        assert NAME.encode() not in row["patient_sealed"]
        if row["object_key"]:
            assert NOTE.encode() not in store.object_bytes(row["object_key"])
    digest = hashlib.sha256(RRN.encode()).hexdigest()
    for log in sorted(cluster.logs.glob("ingest-*.log")):
        text = log.read_text(errors="replace")
        for value in [*FORBIDDEN, digest]:
            assert value not in text, f"{value!r} in {log.name}"
