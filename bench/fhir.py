"""`make bench` (`BENCH_ONLY=fhir` alone): an IHE MHD ITI-65 Provide Document Bundle of 100
documents (10 KB each, as the bulk figures) in one `POST /fhir`, beside the raw baseline of the
same 100 records through the transfer API's batch request in the same run, and ingest's RSS
growth while the bundle is taken. Runs interleaved, the best of each counting."""

import base64
import hashlib
import json
import os
import time
import uuid
from typing import Any

import psutil

from bench.ingest import PeakRss
from bench.results import Result
from bench.stack import Depositor, content_of, ndjson_line, record, running_cluster
from medrec_devstack.cluster import Cluster
from medrec_shared.rules.fhir_systems import (
    MHD_MINIMAL_SUBMISSION_BUNDLE,
    MHD_SUBMISSION_SET_TYPE_SYSTEM,
    RECORD_KIND_SYSTEM,
    RRN_SYSTEM,
)

DOCUMENTS = int(os.environ.get("BENCH_FHIR_DOCUMENTS", "100"))
RUNS = 3
SOURCE_ID = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"


def _entry(url: str, resource: dict[str, Any]) -> dict[str, Any]:
    kind = resource["resourceType"]
    return {"fullUrl": url, "resource": resource, "request": {"method": "POST", "url": kind}}


def provide_bundle(prefix: str, count: int) -> bytes:
    """The bench's records (bench.stack.record) as a Provide Document Bundle (MHD Minimal)."""
    patient = record(0, {})["patient"]
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    entries, refs = [], []
    for n in range(count):
        data = content_of(n)
        fields = record(n, {})
        doc_url, bin_url = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
        refs.append({"item": {"reference": doc_url}})
        sha1 = hashlib.sha1(data, usedforsecurity=False).digest()
        entries.append(_entry(doc_url, {
            "resourceType": "DocumentReference",
            "masterIdentifier": {"value": f"{prefix}-{n:06d}"},
            "status": "current",
            "category": [{"coding": [{"system": RECORD_KIND_SYSTEM, "code": fields["kind"]}]}],
            "description": fields["title"],
            "subject": {"reference": patient_url},
            "content": [{"attachment": {"contentType": "text/plain", "url": bin_url,
                                        "size": len(data),
                                        "hash": base64.b64encode(sha1).decode()}}],
            "context": {"period": {"start": fields["service_start"],
                                   "end": fields["service_end"]}},
        }))  # fmt: skip
        entries.append(_entry(bin_url, {
            "resourceType": "Binary", "contentType": "text/plain",
            "data": base64.b64encode(data).decode(),
        }))  # fmt: skip
    submission_set = {
        "resourceType": "List",
        "extension": [{"url": SOURCE_ID, "valueIdentifier": {"value": "urn:oid:1.2.410.1"}}],
        "identifier": [{"value": f"urn:oid:1.2.410.2.{uuid.uuid4().int % 10**9}"}],
        "status": "current",
        "mode": "working",
        "code": {"coding": [{"system": MHD_SUBMISSION_SET_TYPE_SYSTEM, "code": "submissionset"}]},
        "subject": {"reference": patient_url},
        "entry": refs,
    }
    the_patient = {
        "resourceType": "Patient",
        "identifier": [{"system": RRN_SYSTEM, "value": patient["rrn"]}],
        "name": [{"text": patient["name"]}],
        "gender": patient["sex"],
        "birthDate": patient["birth_date"],
    }
    bundle = {
        "resourceType": "Bundle",
        "meta": {"profile": [MHD_MINIMAL_SUBMISSION_BUNDLE]},
        "type": "transaction",
        "entry": [
            _entry(f"urn:uuid:{uuid.uuid4()}", submission_set),
            _entry(patient_url, the_patient),
            *entries,
        ],
    }
    return json.dumps(bundle, ensure_ascii=False).encode()


def submit(client: Depositor, prefix: str, count: int) -> float:
    body = provide_bundle(prefix, count)
    started = time.perf_counter()
    response = client.http.post(
        "/fhir", content=body, headers={"Content-Type": "application/fhir+json"}
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    created = response.text.count('"201 Created"')
    if created < 2 * count:  # each DocumentReference and its Binary
        raise RuntimeError(f"ITI-65: {created // 2} of {count} created")
    return elapsed


def batch(client: Depositor, transfer_id: str, prefix: str, count: int) -> float:
    body = b"".join(ndjson_line(n, prefix) for n in range(count))
    started = time.perf_counter()
    response = client.http.post(
        f"/v1/transfers/{transfer_id}/records:batch",
        content=body,
        headers={"Content-Type": "application/x-ndjson"},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    created = response.text.count('"status": "created"')
    if created != count:
        raise RuntimeError(f"batch: {created} of {count} created")
    return elapsed


def run(cluster: Cluster) -> list[Result]:
    # Two clients: the ITI-65 one has one open transfer (the one its bundles go to).
    fhir_client, batch_client = Depositor(cluster, "89999996"), Depositor(cluster, "89999995")
    fhir_client.open_transfer()
    batch_transfer = batch_client.open_transfer()
    api = cluster.processes["ingest-api"].pid
    fhir_times, batch_times, growths = [], [], []
    size = len(provide_bundle("size", DOCUMENTS))
    for n in range(RUNS):
        print(f"batch: {DOCUMENTS} x 10 KB in one request (run {n + 1}) …", flush=True)
        batch_times.append(batch(batch_client, batch_transfer, f"nd{n}", DOCUMENTS))
        print(f"ITI-65: {DOCUMENTS} documents in one bundle (run {n + 1}) …", flush=True)
        idle = psutil.Process(api).memory_info().rss
        with PeakRss(api) as peak:
            fhir_times.append(submit(fhir_client, f"mhd{n}", DOCUMENTS))
        growths.append(peak.peak - idle)
    fhir_rate, batch_rate = DOCUMENTS / min(fhir_times), DOCUMENTS / min(batch_times)
    return [
        Result("fhir_iti65_100", f"ITI-65 Provide Document Bundle, {DOCUMENTS} x 10 KB",
               fhir_rate, "rec/s", batch_rate, "batch_same_100",
               note=f"{min(fhir_times) * 1000:.0f} ms for a {size / 1e6:.1f} MB bundle; "
               f"ingest RSS growth {max(growths) / 1e6:.1f} MB"),
        Result("batch_same_100", f"bulk NDJSON, the same {DOCUMENTS} records in one request",
               batch_rate, "rec/s", note=f"{min(batch_times) * 1000:.0f} ms"),
    ]  # fmt: skip


def main() -> list[Result]:
    with running_cluster() as cluster:
        print("local stack up: ITI-65 beside the batch request", flush=True)
        return run(cluster)
