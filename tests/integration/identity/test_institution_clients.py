"""Institution clients after #27: registered, listed and revoked with `clients:manage` (a platform
person's token, or the machine account's), each act a StaffActed naming who did it and each
client recording who registered it; a client may be given transfer:write or machine scopes,
never `admin`. The machine account holds the machine scopes exactly, and identity out of sandbox
mode refuses to start while any client still holds `admin`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_devstack.processes import ProcessDied
from medrec_shared.rules.staff import MACHINE_SCOPES
from tests.support.actors import Operator, Staff, bearer, new_login
from tests.support.identity_lab import identity_lab, problem, token_claims
from tests.support.stack import new_database, sql

BIN = Path(sys.executable).parent


def test_the_machine_account_holds_the_machine_scopes(cluster: Cluster) -> None:
    machine = Operator(cluster)
    claims = token_claims(cluster.url("identity"), machine.token)
    assert set(claims["scope"].split()) == MACHINE_SCOPES
    assert "staff" not in claims


def test_a_platform_person_registers_and_revokes_a_client_on_the_audit_trail(
    cluster: Cluster,
) -> None:
    platform = Staff(cluster, new_login("park.platform"))
    identity = platform.identity
    created = identity.post(
        "/v1/clients",
        json={
            "name": "테스트 EMR",
            "institution_codes": ["95100001"],
            "scopes": ["transfer:write"],
        },
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["client_id"]
    assert created.json()["registered_by"] == platform.login
    listed = {c["client_id"]: c for c in identity.get("/v1/clients").json()["items"]}
    assert listed[client_id]["registered_by"] == platform.login
    assert identity.delete(f"/v1/clients/{client_id}").status_code == 204

    rows = sql(
        cluster,
        "identity",
        "SELECT envelope FROM outbox WHERE envelope->>'type' = 'StaffActed' "
        "AND envelope->'data'->>'resource_id' = $1",
        client_id,
    )
    acts = [json.loads(row["envelope"])["data"] for row in rows]
    assert sorted(a["act"] for a in acts) == ["client.register", "client.revoke"]
    assert {(a["actor"], a["actor_kind"], a["resource_type"]) for a in acts} == {
        (platform.login, "staff", "api_client")
    }


def test_the_machine_account_registers_as_itself(cluster: Cluster) -> None:
    machine = Operator(cluster)
    client_id, _ = machine.register_client(["95100002"])
    listed = {
        c["client_id"]: c
        for c in machine.identity.get("/v1/clients", headers=bearer(machine.token)).json()["items"]
    }
    assert listed[client_id]["registered_by"] == cluster.secrets.admin_client_id


@pytest.mark.parametrize(
    "scopes",
    [["admin"], ["transfer:write", "admin"], ["proxy-requests:review"], ["staff:manage"]],
)
def test_no_client_is_given_admin_or_a_persons_scope(cluster: Cluster, scopes: list[str]) -> None:
    machine = Operator(cluster)
    before = machine.identity.get("/v1/clients", headers=bearer(machine.token)).json()["items"]
    refused = machine.identity.post(
        "/v1/clients",
        json={"name": "넓은 권한", "institution_codes": [], "scopes": scopes},
        headers=bearer(machine.token),
    )
    body = problem(refused, 422, "validation")
    assert [e["field"] for e in body["errors"]] == ["scopes"]
    after = machine.identity.get("/v1/clients", headers=bearer(machine.token)).json()["items"]
    assert len(after) == len(before)


def test_who_may_not_manage_clients(cluster: Cluster) -> None:
    reviewer = Staff(cluster, new_login("choi.reviewer"), roles=["reviewer"])
    assert reviewer.identity.get("/v1/clients").status_code == 403
    assert httpx.get(f"{cluster.url('identity')}/v1/clients").status_code == 401


def test_identity_out_of_sandbox_refuses_to_start_while_a_client_holds_admin(
    cluster: Cluster,
) -> None:
    database = {"MEDREC_IDENTITY_DATABASE_URL": new_database(cluster, "medrec_identity_admin")}
    env = cluster.env("identity") | database
    migrate = [str(BIN / "medrec-identity-migrate")]
    subprocess.run(migrate, env=os.environ | env, check=True, capture_output=True, timeout=120)
    sql(
        cluster,
        "identity_admin",
        "INSERT INTO api_clients (client_id, name, secret_hash, secret_salt, institution_codes, "
        "scopes) VALUES ('c_shared', 'shared', '\\x00', '\\x00', '{}', '{admin}')",
    )
    with (
        pytest.raises(ProcessDied),
        identity_lab(cluster, "admin-held", database | {"MEDREC_IDENTITY_SANDBOX": "false"}),
    ):
        pass
    log = (cluster.logs / "identity-admin-held-0.log").read_text()
    assert "c_shared" in log and "admin" in log
    # In sandbox mode (the local stack) it starts; the machine account gets the machine scopes.
    with identity_lab(cluster, "admin-sandbox", database):
        scopes = sql(
            cluster,
            "identity_admin",
            "SELECT scopes FROM api_clients WHERE client_id = $1",
            cluster.secrets.admin_client_id,
        )
        assert set(scopes[0]["scopes"]) == MACHINE_SCOPES
