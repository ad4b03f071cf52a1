"""A client acts only for its institution codes and sees only its own transfers (Art. 40-3):
another client's transfer is not found; a token without transfer:write may do nothing."""

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.actors import Depositor, Operator
from tests.support.builders import NOTE, a_record, content_digest, declared, ndjson, new_code
from tests.support.ingest import IngestStore, NewDepositor, OwnedTransfer


@pytest.fixture(scope="module")
def owner(new_depositor: NewDepositor) -> OwnedTransfer:
    client, code = new_depositor()
    transfer_id = client.open_transfer(code, "주인의원")
    assert client.put_record(transfer_id, "r1", a_record()).status_code == 201
    body = a_record(content=declared(NOTE.encode(), "text/plain"))
    assert client.put_record(transfer_id, "r2", body).status_code == 201
    return OwnedTransfer(client, code, transfer_id)


def attempts(transfer_id: str) -> list[tuple[str, str, dict[str, object]]]:
    base = f"/v1/transfers/{transfer_id}"
    data = NOTE.encode()
    return [
        ("GET", base, {}),
        ("PUT", f"{base}/records/r9", {"json": a_record()}),
        ("PUT", f"{base}/records/r1", {"json": a_record()}),
        ("PUT", f"{base}/records/r2/content",
         {"content": data, "headers": {"Content-Type": "text/plain",
                                       "Content-Digest": content_digest(data)}}),
        ("POST", f"{base}/records:batch",
         {"content": ndjson([{"external_id": "r8"} | a_record()]),
          "headers": {"Content-Type": "application/x-ndjson"}}),
        ("POST", f"{base}/complete", {"json": {"record_count": 2}}),
    ]  # fmt: skip


def test_another_clients_transfer_is_not_found(
    owner: OwnedTransfer, new_depositor: NewDepositor, store: IngestStore
) -> None:
    transfer_id = owner.transfer_id
    other, _ = new_depositor()
    for method, path, kwargs in attempts(transfer_id):
        response = other.ingest.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert transfer_id not in other.ingest.get("/v1/transfers").text
    assert {r["external_id"] for r in store.records(transfer_id)} == {"r1", "r2"}
    assert store.record(transfer_id, "r2")["status"] == "awaiting_content"  # type: ignore[index]


def test_a_client_opens_transfers_only_for_its_own_codes(
    cluster: Cluster, owner: OwnedTransfer, operator: Operator
) -> None:
    code, transfer_id = owner.code, owner.transfer_id
    client_id, secret = operator.register_client([new_code()])
    stranger = Depositor(cluster, client_id, secret)
    assert stranger.ingest.get(f"/v1/transfers/{transfer_id}").status_code == 404
    response = stranger.ingest.post(
        "/v1/transfers",
        json={"institution": {"code": code, "name": "남의의원", "type": "의원", "address": "서울",
                              "region": "서울"},
              "reason": "closure", "effective_date": "2026-01-31"},
    )  # fmt: skip
    assert response.status_code == 403, response.text


def test_a_token_without_transfer_write_is_forbidden(
    owner: OwnedTransfer, new_depositor: NewDepositor, store: IngestStore
) -> None:
    code, transfer_id = owner.code, owner.transfer_id
    reader, _ = new_depositor(["stats:read"])
    for method, path, kwargs in attempts(transfer_id):
        response = reader.ingest.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 403, (method, path, response.text)
    response = reader.ingest.post(
        "/v1/transfers",
        json={"institution": {"code": code, "name": "의원", "type": "의원", "address": "서울",
                              "region": "서울"},
              "reason": "closure", "effective_date": "2026-01-31"},
    )  # fmt: skip
    assert response.status_code == 403
    assert {r["external_id"] for r in store.records(transfer_id)} == {"r1", "r2"}


def test_no_token_is_unauthorized(cluster: Cluster, owner: OwnedTransfer) -> None:
    transfer_id = owner.transfer_id
    anonymous = httpx.Client(base_url=cluster.url("ingest"), timeout=30)
    for method, path, kwargs in attempts(transfer_id):
        response = anonymous.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 401, (method, path, response.text)
    bad = anonymous.get("/v1/transfers", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401


def test_a_client_lists_only_its_own_transfers(new_depositor: NewDepositor) -> None:
    first, first_code = new_depositor()
    second, second_code = new_depositor()
    mine = {first.open_transfer(first_code, "첫째의원") for _ in range(3)}
    theirs = second.open_transfer(second_code, "둘째의원")
    page = first.ingest.get("/v1/transfers", params={"limit": 2}).json()
    listed = {t["transfer_id"] for t in page["items"]}
    assert len(listed) == 2 and page["next_cursor"]
    rest = first.ingest.get("/v1/transfers", params={"cursor": page["next_cursor"]}).json()
    listed |= {t["transfer_id"] for t in rest["items"]}
    assert listed == mine and theirs not in listed
    assert rest["next_cursor"] is None
