"""The public authenticity check is open to anyone, so it is limited per client address, with a
count every replica shares."""

import httpx

from medrec_devstack.cluster import Cluster
from tests.support.lab import new_address, service_lab


def test_checks_beyond_the_limit_are_429_with_retry_after(cluster: Cluster) -> None:
    settings = {
        "MEDREC_ISSUANCE_VERIFY_LIMIT_PER_CLIENT": "3",
        "MEDREC_ISSUANCE_VERIFY_LIMIT_WINDOW_SECONDS": "600",
    }
    with service_lab(cluster, "issuance", "verify-limits", settings, replicas=2) as lab:
        address = new_address()
        params = {"number": "MR-20260101-00000000", "code": "ABCDEFGH"}
        answers = [
            lab.client(n % 2, address=address).get("/v1/verify", params=params) for n in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        refused = lab.client(1, address=address).get("/v1/verify", params=params)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 600
        upload = lab.client(0, address=address).post(
            "/v1/verify", files={"file": ("x.pdf", b"%PDF-1.7", "application/pdf")}
        )
        assert upload.status_code == 429
        other = lab.client(0, address=new_address()).get("/v1/verify", params=params)
        assert other.status_code == 200


def test_the_shared_cluster_is_not_limited_for_its_own_tests(cluster: Cluster) -> None:
    url = f"{cluster.url('issuance')}/v1/verify"
    assert all(
        httpx.get(url, params={"number": "MR-1", "code": "A"}).status_code == 200 for _ in range(5)
    )


def test_an_upload_larger_than_any_copy_is_413_and_a_small_one_is_checked(
    cluster: Cluster,
) -> None:
    cap = 1024 * 1024
    with service_lab(
        cluster, "issuance", "verify-cap", {"MEDREC_ISSUANCE_COPY_MAX_BYTES": str(cap)}
    ) as lab:
        client = lab.client(address=new_address())
        over = client.post(
            "/v1/verify",
            files={"file": ("x.pdf", b"%PDF-" + b"\0" * (cap + 65 * 1024), "application/pdf")},
        )
        assert over.status_code == 413
        assert over.headers["content-type"] == "application/problem+json"
        under = client.post(
            "/v1/verify",
            files={"file": ("x.pdf", b"%PDF-" + b"\0" * (cap // 2), "application/pdf")},
        )
        assert under.status_code == 200 and under.json() == {"valid": False}
