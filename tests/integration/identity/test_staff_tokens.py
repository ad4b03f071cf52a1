"""Staff accounts made as deployment (and the local stack) makes them, `medrec-identity staff
create`, and their tokens: `sub` staff:<id>, the union of the roles' scopes, the `staff` claim
every service reads (medrec_shared.platform.auth.StaffMember); `staff token` only in sandbox."""

import subprocess

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_devstack.datadir import LauncherError
from medrec_shared.platform.auth import StaffMember
from medrec_shared.rules.staff import scopes_for
from tests.support.actors import Staff, new_login
from tests.support.identity_lab import token_claims


def test_a_staff_token_carries_the_roles_scopes_and_the_staff_claim(cluster: Cluster) -> None:
    login = new_login("hc.seoul")
    person = Staff(cluster, login, organisation="hc:11", roles=["health_centre"], region="11")
    assert person.credentials.login == login
    assert person.credentials.totp_uri.startswith("otpauth://totp/medrec:")
    assert len(person.credentials.password) >= 12
    claims = token_claims(cluster.url("identity"), person.token)
    staff = StaffMember.from_claim(claims["staff"])
    assert staff is not None
    assert claims["sub"] == f"staff:{staff.account_id}"
    assert set(claims["scope"].split()) == scopes_for(["health_centre"])
    assert (staff.login, staff.organisation, staff.roles, staff.region) == (
        login,
        "hc:11",
        frozenset({"health_centre"}),
        "11",
    )
    assert claims["exp"] - claims["iat"] <= 900


def test_the_platform_account_of_the_first_start_exists(cluster: Cluster) -> None:
    assert cluster.secrets.platform_staff_login == "platform"
    platform = Staff(cluster, new_login("kim.platform"))
    listed = platform.identity.get("/v1/admin/staff", params={"limit": 200})
    assert listed.status_code == 200, listed.text
    logins = {item["login"]: item for item in listed.json()["items"]}
    assert logins["platform"]["roles"] == ["platform"]
    assert logins["platform"]["must_change_password"] is True
    assert logins[platform.login]["created_by"] == "medrec-identity-cli"


@pytest.mark.parametrize(
    ("organisation", "roles", "region"),
    [
        ("khis", ["health_centre"], None),  # a health centre's role needs its region
        ("hc:11", ["reviewer"], "11"),  # a health centre's people oversee, they do not review
        ("hc:11", ["health_centre"], "26"),  # … their own region
        ("elsewhere", ["platform"], None),
        ("khis", ["admin"], None),  # not a role
    ],
)
def test_an_account_that_may_not_be_is_refused(
    cluster: Cluster, organisation: str, roles: list[str], region: str | None
) -> None:
    with pytest.raises(LauncherError, match="refused"):
        cluster.create_staff(new_login("x"), "이름", organisation, roles, region)


def test_a_login_is_taken_once(cluster: Cluster) -> None:
    login = new_login("twice")
    cluster.create_staff(login, "한 번", "khis", ["auditor"])
    with pytest.raises(LauncherError, match="taken"):
        cluster.create_staff(login, "두 번", "khis", ["auditor"])


def test_staff_token_is_refused_outside_sandbox(cluster: Cluster) -> None:
    login = new_login("nosandbox")
    cluster.create_staff(login, "이름", "khis", ["auditor"])
    done = subprocess.run(
        [cluster._bin("medrec-identity"), "staff", "token", "--login", login],
        env=cluster.env("identity") | {"MEDREC_IDENTITY_SANDBOX": "false"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done
    assert "sandbox" in done.stderr and not done.stdout


def test_an_account_admin_call_needs_staff_manage(cluster: Cluster) -> None:
    auditor = Staff(cluster, new_login("auditor"), roles=["auditor"])
    refused = auditor.identity.get("/v1/admin/staff")
    assert refused.status_code == 403, refused.text
    anonymous = httpx.get(f"{cluster.url('identity')}/v1/admin/staff")
    assert anonymous.status_code == 401
