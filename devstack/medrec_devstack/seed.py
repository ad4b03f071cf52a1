"""Demo data for `make run`: closed clinics of each specialty with synthetic patients, deposited
through the public transfer API as an EMR vendor would, never written to a database. The demo
citizen (김하늘) and their child (김다온, linked in the sandbox family registry) also have
version 2 records across two years (demo_v2.py): stays, bills, payments and prescriptions."""

import base64
import json
from pathlib import Path
from typing import Any

import httpx

from medrec_devstack import demo_v2
from medrec_devstack.cluster import Cluster
from medrec_devstack.datadir import read_json, write_private

# Synthetic people: valid-looking numbers that belong to no one.
PATIENTS = [
    {"rrn": "850315-1000001", "name": "김하늘", "birth_date": "1985-03-15", "sex": "male"},
    {"rrn": "920802-2000002", "name": "이바다", "birth_date": "1992-08-02", "sex": "female"},
    {"rrn": "090521-4000003", "name": "박새봄", "birth_date": "2009-05-21", "sex": "female"},
    # the demo citizen's child, a guardian's demo (only version 2 records)
    {"rrn": "180704-3000004", "name": "김다온", "birth_date": "2018-07-04", "sex": "male"},
]
CITIZEN, CHILD = 0, 3
#: The clinics whose v1 records every patient but the child has.
V1_PATIENTS = PATIENTS[:CHILD]
CLINICS = [
    ("11000001", "행복소아과의원", "의원", "서울", "서울특별시 종로구 율곡로 1", "medical"),
    ("21000002", "미소치과의원", "치과의원", "부산", "부산광역시 중구 중앙대로 2", "dental"),
    ("31000003", "동의한의원", "한의원", "대구", "대구광역시 중구 국채보상로 3", "korean_medicine"),
    ("41000005", "한빛병원", "병원", "광주", "광주광역시 동구 금남로 5", "medical"),
]
V1_CLINICS = CLINICS[:3]


def _content(specialty: str, visit: str) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema_version": "1",
        "specialty": specialty,
        "encounters": [{"date": visit, "chief_complaint": "정기 진료"}],
    }
    if specialty == "medical":
        base["diagnoses"] = [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}]
        base["prescriptions"] = [
            {
                "drug_name": "아세트아미노펜정",
                "dose": "500",
                "unit": "mg",
                "frequency_per_day": 3,
                "days": 3,
            }
        ]
    elif specialty == "dental":
        base["diagnoses"] = [{"code": "K02.1", "name": "상아질 우식", "primary": True}]
        base["tooth_chart"] = [
            {"tooth": 36, "findings": ["우식"], "procedures": ["레진 충전"]},
            {"tooth": 11, "findings": ["치석"], "procedures": ["스케일링"]},
        ]
    else:
        base["pattern_identification"] = ["비기허"]
        base["acupuncture"] = [{"point": "ST36"}, {"point": "LI4"}]
        base["herbal_formulas"] = [
            {
                "name": "보중익기탕",
                "packs": 20,
                "herbs": [{"name": "황기", "grams": 6}, {"name": "인삼", "grams": 4}],
            }
        ]
    return base


def seed_demo(cluster: Cluster) -> str:
    """Deposits the demo once per data directory; progress is kept in `demo.json` there, so a
    start interrupted half-way carries on (record PUTs are idempotent) rather than doubling."""
    progress_file = cluster.state / "demo.json"
    progress: dict[str, Any] = read_json(progress_file) or {"transfers": {}}
    sandbox = (
        f"verify as 김하늘 / {PATIENTS[0]['rrn']} / 010-1234-5678 (sandbox code in the response); "
        "their child 김다온 is under 자녀 진료기록"
    )
    if progress.get("done"):
        return f"deposited on the first start ({len(CLINICS)} clinics); {sandbox}"
    if "client" not in progress:
        token = cluster.client_token(
            cluster.secrets.admin_client_id, cluster.secrets.admin_client_secret
        )
        response = httpx.post(
            f"{cluster.url('identity')}/v1/clients",
            json={
                "name": "데모 EMR",
                "institution_codes": [c[0] for c in CLINICS],
                "scopes": ["transfer:write"],
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        response.raise_for_status()
        progress["client"] = [response.json()["client_id"], response.json()["client_secret"]]
        write_private(progress_file, progress)
    client_token = cluster.client_token(*progress["client"])
    ingest = httpx.Client(
        base_url=cluster.url("ingest"),
        timeout=30,
        headers={"Authorization": f"Bearer {client_token}"},
    )
    if cluster.sandbox and not progress.get("family"):
        _link_child(cluster)
        progress["family"] = True
        write_private(progress_file, progress)
    stored = 0
    for code, name, kind, region, address, _ in CLINICS:
        if code not in progress["transfers"]:
            response = ingest.post(
                "/v1/transfers",
                json={
                    "institution": {
                        "code": code,
                        "name": name,
                        "type": kind,
                        "region": region,
                        "address": address,
                    },
                    "reason": "closure",
                    "effective_date": "2025-12-31",
                },
            )
            response.raise_for_status()
            progress["transfers"][code] = response.json()["transfer_id"]
            write_private(progress_file, progress)
    for code, _, _, _, _, specialty in V1_CLINICS:
        for n, patient in enumerate(V1_PATIENTS):
            visit = f"202{n + 1}-0{n + 3}-1{n}"
            document = _content(specialty, visit)
            _put(ingest, progress["transfers"][code], f"demo-{specialty}-{n}", patient, document)
            stored += 1
    for external_id, who, code, title, document in demo_v2.records(CITIZEN, CHILD):
        _put(ingest, progress["transfers"][code], external_id, PATIENTS[who], document, title)
        stored += 1
    progress["done"] = True
    write_private(progress_file, progress)
    return f"{len(CLINICS)} clinics, {stored} records; {sandbox}"


CLOSURES_SAMPLE = Path(__file__).parent / "data" / "closures-sample.csv"


def seed_closures(cluster: Cluster) -> str:
    """Imports the sample of the public closure data (CP949, as HIRA publishes it) once per
    data directory: clinics kept by their founder (개설자 보관) or their health centre (보건소
    보관), and some nobody has said (미확인)."""
    progress_file = cluster.state / "closures.json"
    if (read_json(progress_file) or {}).get("done"):
        return "imported on the first start"
    report = cluster.import_closures(CLOSURES_SAMPLE).removeprefix("closures: ")
    write_private(progress_file, {"done": True})
    return report


def _put(
    ingest: httpx.Client,
    transfer_id: str,
    external_id: str,
    patient: dict[str, str],
    document: dict[str, Any],
    title: str = "외래 진료기록",
) -> None:
    start, end = demo_v2.span(document)
    data = json.dumps(document, ensure_ascii=False).encode()
    response = ingest.put(
        f"/v1/transfers/{transfer_id}/records/{external_id}",
        json={
            "patient": patient,
            "kind": "medical_record",
            "specialty": document["specialty"],
            "title": title,
            "service_start": start,
            "service_end": end,
            "content": {
                "content_type": "application/vnd.medrec.record+json",
                "data_base64": base64.b64encode(data).decode(),
            },
        },
    )
    response.raise_for_status()


def _link_child(cluster: Cluster) -> None:
    """The child in the sandbox family registry, so the demo citizen can act as their guardian
    (자녀 진료기록)."""
    child = PATIENTS[CHILD]
    response = httpx.post(
        f"{cluster.url('identity')}/v1/sandbox/family-links",
        json={
            "parent_rrn": PATIENTS[CITIZEN]["rrn"],
            "child_rrn": child["rrn"],
            "child_name": child["name"],
            "child_birth_date": child["birth_date"],
            "relation": "parent",
            "parental_authority": True,
        },
        timeout=30,
    )
    response.raise_for_status()
