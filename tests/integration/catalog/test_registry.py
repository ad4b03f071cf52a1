"""The registry of every closed clinic through the real stack: the HIRA closure data imported
by `medrec-catalog closures import` (a file it does not recognise refused, nothing changed; a
re-import updates, never doubles), the directory's custody and its `?custody=` filter, and the
custody staff set (a health centre: its own region only; audited; bad input changes nothing)."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_devstack.datadir import LauncherError
from tests.support.actors import Institution, Operator, eventually
from tests.support.stack import sql
from tests.support.staff import StaffClient, audited, staff_on

COLUMNS = "요양기관기호 요양기관명 요양종별 시도명 시군구명 도로명주소 폐업일자"
HEADER = ",".join([*COLUMNS.split(), "보관구분", "보관자", "보관자연락처"])
ROWS = [
    "|가온 등록내과의원|의원|서울특별시|강남구|강남 1|20250630|개설자 보관|개설자 가온|02-100-0001",
    "|나래등록치과의원|치과의원|서울|송파구|송파 2|20240301|보건소 보관|송파구보건소|02-1",
    "|다솜등록한의원|한의원|경기도|수원시|경기 수원시 3|20230930|||",
    "61900001|라온등록의원|의원|경기도|성남시|경기 성남시 4|20221231|미확인||",
]
ROWS = [row.replace("|", ",") for row in ROWS]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def ours(public: httpx.Client, **params: str) -> dict[str, dict[str, Any]]:
    """This module's clinics (등록 in every name) in the directory's answer, by name."""
    response = public.get("/v1/institutions", params={"q": "등록", "limit": "500", **params})
    assert response.status_code == 200, response.text
    return {i["name"]: i for i in response.json()["items"]}


def count(cluster: Cluster) -> int:
    return int(sql(cluster, "catalog", "SELECT count(*) FROM institutions")[0][0])


@pytest.fixture(scope="module")
def public(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> httpx.Client:
    file = write(tmp_path_factory.mktemp("closures") / "closures.csv", [HEADER, *ROWS], "cp949")
    report = cluster.import_closures(file)
    assert "4 new" in report, report
    return httpx.Client(base_url=cluster.url("catalog"), timeout=30)


def test_every_imported_closure_is_listed_with_its_custody(public: httpx.Client) -> None:
    found = ours(public)
    assert set(found) == {"가온 등록내과의원", "나래등록치과의원", "다솜등록한의원", "라온등록의원"}
    founder = found["가온 등록내과의원"]["custody"]
    assert founder == {
        "status": "founder",
        "label": "개설자 보관",
        "holder": "개설자 가온",
        "contact": "02-100-0001",
    }
    assert found["나래등록치과의원"]["custody"]["label"] == "보건소 보관"
    assert found["다솜등록한의원"]["custody"] == {
        "status": "unknown",
        "label": "미확인",
        "holder": None,
        "contact": None,
    }
    assert found["라온등록의원"]["code"] == "61900001"
    assert found["가온 등록내과의원"]["region"] == "서울"
    assert found["가온 등록내과의원"]["record_count"] == 0
    # the search is the directory's: any part of the name, spacing ignored
    assert set(ours(public, q="가온등록")) == {"가온 등록내과의원"}
    assert set(ours(public, custody="founder")) == {"가온 등록내과의원"}
    assert set(ours(public, custody="unknown")) == {"다솜등록한의원", "라온등록의원"}
    assert public.get("/v1/institutions", params={"custody": "lost"}).status_code == 422


def test_a_reimport_updates_and_never_doubles(
    cluster: Cluster, public: httpx.Client, tmp_path: Path
) -> None:
    before = count(cluster)
    changed = ROWS[0].replace("개설자 가온,02-100-0001", "개설자 가온,02-100-9999")
    report = cluster.import_closures(write(tmp_path / "again.csv", [HEADER, changed, *ROWS[1:]]))
    assert "0 new, 4 updated" in report, report
    assert count(cluster) == before
    assert ours(public)["가온 등록내과의원"]["custody"]["contact"] == "02-100-9999"


@pytest.mark.parametrize(
    "lines",
    [
        [HEADER + ",비고", ROWS[0] + ",x"],  # a column it does not know
        [HEADER.replace("시군구명,", ""), ROWS[0]],  # one it needs, missing
        [
            HEADER,
            ",마루등록의원,의원,서울,중구,-,20240101,,,",
            ",바다등록의원,의원,서울,중구,-,2024,,,",
        ],
    ],
)
def test_a_file_it_does_not_recognise_is_refused_and_changes_nothing(
    cluster: Cluster, public: httpx.Client, tmp_path: Path, lines: list[str]
) -> None:
    before = count(cluster)
    with pytest.raises(LauncherError, match="refused, nothing changed"):
        cluster.import_closures(write(tmp_path / "bad.csv", lines))
    assert count(cluster) == before
    assert "마루등록의원" not in ours(public)


@pytest.fixture(scope="module")
def seoul(cluster: Cluster) -> StaffClient:
    return staff_on(
        cluster, "catalog", "health_centre", prefix="hc11", organisation="hc:11", region="11"
    )


def code_of(public: httpx.Client, name: str) -> str:
    return str(ours(public)[name]["code"])


def test_a_health_centre_sets_custody_in_its_region_and_it_is_audited(
    cluster: Cluster, public: httpx.Client, seoul: StaffClient
) -> None:
    code = code_of(public, "나래등록치과의원")
    body = {"status": "founder", "holder": "개설자 나래", "contact": "02-200-0002"}
    answer = seoul.put(f"/v1/admin/institutions/{code}/custody", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["custody"]["label"] == "개설자 보관"
    assert ours(public)["나래등록치과의원"]["custody"]["holder"] == "개설자 나래"
    auditor = staff_on(cluster, "catalog", "auditor", prefix="aud")
    (entry,) = audited(auditor, act="institution.custody", resource_id=code)
    assert entry["actor"] == seoul.login
    assert "개설자 나래" not in str(entry)  # the holder's name stays out of the trail
    # a custody staff set stands over a later import's
    row = [r for r in ROWS if "나래" in r]
    cluster.import_closures(write(Path(cluster.state) / "nr.csv", [HEADER, *row]))
    assert ours(public)["나래등록치과의원"]["custody"]["holder"] == "개설자 나래"


def test_another_regions_clinic_is_refused_403_and_unchanged(
    public: httpx.Client, seoul: StaffClient
) -> None:
    code = code_of(public, "다솜등록한의원")  # 경기
    body = {"status": "health_centre", "holder": "서울 보건소", "contact": "02-1"}
    refused = seoul.put(f"/v1/admin/institutions/{code}/custody", json=body)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert ours(public)["다솜등록한의원"]["custody"]["status"] == "unknown"


def test_platform_sets_any_region_and_bad_input_changes_nothing(
    cluster: Cluster, public: httpx.Client
) -> None:
    platform = staff_on(cluster, "catalog", "platform", prefix="plat")
    code = code_of(public, "다솜등록한의원")
    path = f"/v1/admin/institutions/{code}/custody"
    for bad in (
        {"status": "held"},  # follows from transfers, never set
        {"status": "founder", "holder": "개설자"},  # how to ask is missing
        {"status": "unknown", "holder": "누군가"},  # 미확인 has no holder
        {"status": "founder", "holder": "x" * 201, "contact": "1"},
        {"status": "founder", "holder": "개설자", "contact": "1", "extra": 1},
    ):
        answer = platform.put(path, json=bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert ours(public)["다솜등록한의원"]["custody"]["status"] == "unknown"
    unknown = platform.put("/v1/admin/institutions/69999999/custody", json={"status": "unknown"})
    assert unknown.status_code == 404, unknown.text
    set_ = platform.put(
        path, json={"status": "health_centre", "holder": "수원시보건소", "contact": "031-1"}
    )
    assert set_.status_code == 200, set_.text
    assert ours(public, custody="health_centre")["다솜등록한의원"]["custody"]["holder"] == (
        "수원시보건소"
    )
    citizenless = httpx.put(cluster.url("catalog") + path, json={"status": "unknown"})
    assert citizenless.status_code == 401


def test_an_open_transfer_shows_transferring_over_the_declared_custody(
    cluster: Cluster, public: httpx.Client
) -> None:
    code = "61900001"  # 라온등록의원, imported with its code
    client_id, secret = Operator(cluster).register_client([code])
    Institution(cluster, client_id, secret).open_transfer(
        code,
        "라온등록의원",
        reason="closure",
        institution={
            "code": code,
            "name": "라온등록의원",
            "type": "의원",
            "region": "경기",
            "address": "경기 성남시 4",
        },
    )

    def transferring() -> bool:
        return ours(public)["라온등록의원"]["custody"]["status"] == "transferring"

    eventually(transferring, what="the clinic shown as 이관 중")
    assert ours(public)["라온등록의원"]["custody"]["label"] == "이관 중"
    assert set(ours(public, custody="transferring")) == {"라온등록의원"}


PEAK = """
import resource, sys
from medrec_catalog.cli import app
try:
    app(["closures", "import", sys.argv[1]])
except SystemExit as stop:
    assert not stop.code, stop.code
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_a_large_file_imports_in_constant_memory(cluster: Cluster, tmp_path: Path) -> None:
    """The peak memory of an import of 100 k rows is that of 10 k rows: the file is streamed."""

    def peak_kib(rows: int) -> int:
        file = tmp_path / f"closures-{rows}.csv"
        with file.open("w", encoding="utf-8") as out:
            out.write("요양기관명,요양종별,시도명,시군구명,폐업일자\n")
            for n in range(rows):
                out.write(f"대량{rows}-{n}의원,의원,제주,제주시,20200101\n")
        done = subprocess.run(
            [sys.executable, "-c", PEAK, str(file)],
            env={**os.environ, **cluster.env("catalog")},
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-500:]
        assert f"{rows} new" in done.stdout, done.stdout
        return int(done.stdout.strip().splitlines()[-1])

    small, large = peak_kib(10_000), peak_kib(100_000)
    assert large < small + 16 * 1024, (small, large)  # KiB: within 16 MiB of the small one's
