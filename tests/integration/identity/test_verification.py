"""Citizen verification through the sandbox provider, against two identity replicas with a movable
clock and low limits: codes expire, wrong codes lock, verifications are single-use, starts are
limited per phone and per client address (counted in PostgreSQL, so the replicas agree), and no
name, RRN or phone appears in any response but /v1/me, nor in the logs."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_identity.housekeeping import housekeeping_job
from medrec_identity.settings import IdentitySettings
from medrec_shared.platform.db import Database, Transactions
from tests.support.actors import bearer
from tests.support.identity_lab import (
    Lab,
    identity_lab,
    new_address,
    new_name,
    new_phone,
    new_rrn,
    person_key,
    problem,
    token_claims,
    verify,
)

PER_PHONE, PER_ADDRESS = 3, 5


@pytest.fixture(scope="module")
def lab(cluster: Cluster) -> Iterator[Lab]:
    env = {
        "MEDREC_IDENTITY_VERIFICATION_LIMIT_PER_PHONE": str(PER_PHONE),
        "MEDREC_IDENTITY_VERIFICATION_LIMIT_PER_IP": str(PER_ADDRESS),
    }
    with identity_lab(cluster, "verification", env, replicas=2) as running:
        yield running


@pytest.fixture
def base(lab: Lab) -> datetime:
    """The lab's clock for this test: a day ahead of the real one (so the cluster worker's
    housekeeping, on the real clock, never finds these rows old)."""
    instant = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    lab.set_clock(instant)
    return instant


def start(http: httpx.Client, name: str, rrn: str, phone: str) -> httpx.Response:
    body = {"method": "mobile", "name": name, "rrn": rrn, "phone": phone}
    return http.post("/v1/verifications", json=body)


def confirm(http: httpx.Client, verification_id: str, code: str) -> httpx.Response:
    return http.post(f"/v1/verifications/{verification_id}/confirm", json={"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_citizen_verifies_and_gets_a_short_lived_token(
    lab: Lab, cluster: Cluster, base: datetime
) -> None:
    http = lab.client()
    name, rrn, phone = new_name(), new_rrn(date(1988, 4, 9)), new_phone()
    started = start(http, name, rrn, phone)
    assert started.status_code == 201, started.text
    body = started.json()
    assert set(body) == {"verification_id", "expires_at", "sandbox_code"}
    assert datetime.fromisoformat(body["expires_at"]) == base + timedelta(seconds=180)
    assert len(body["sandbox_code"]) == 6 and body["sandbox_code"].isdigit()

    confirmed = confirm(http, body["verification_id"], body["sandbox_code"])
    assert confirmed.status_code == 200, confirmed.text
    answer = confirmed.json()
    assert set(answer) == {"access_token", "token_type", "expires_in", "person_id"}
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 900
    token = token_claims(lab.url(), answer["access_token"])
    assert token["sub"] == answer["person_id"]
    assert token["person_key"] == person_key(cluster, rrn)
    assert token["scope"] == "records:read issuance:write"
    assert "act" not in token
    assert token["exp"] - token["iat"] == 900

    me = http.get("/v1/me", headers=bearer(answer["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json() == {
        "person_id": answer["person_id"], "name": name, "birth_date": "1988-04-09", "sex": "male"
    }  # fmt: skip
    # the RRN only when asked (the subject's own FHIR export asks it for them)
    asked = http.get(
        "/v1/me", params={"include_rrn": "true"}, headers=bearer(answer["access_token"])
    )
    assert asked.json()["rrn"] == rrn

    # The same RRN finds the same person, from the other replica and another phone.
    again, _ = verify(lab.client(1), name, rrn)
    assert again.person_id == answer["person_id"]


def test_wrong_codes_lock_the_verification(lab: Lab, base: datetime) -> None:
    http = lab.client()
    body = start(http, new_name(), new_rrn(date(1970, 1, 2)), new_phone()).json()
    vid, code = body["verification_id"], body["sandbox_code"]
    for left in (4, 3, 2, 1):
        refused = problem(confirm(http, vid, wrong(code)), 400, "wrong-code")
        assert refused["detail"] == f"{left} tries left."
    problem(confirm(http, vid, wrong(code)), 429, "verification-locked")  # the fifth wrong code
    # Locked for good: the right code, on either replica, changes nothing.
    problem(confirm(http, vid, code), 429, "verification-locked")
    problem(confirm(lab.client(1), vid, code), 429, "verification-locked")


def test_a_person_and_phone_keep_one_budget_of_wrong_codes_per_day(
    lab: Lab, base: datetime
) -> None:
    """Ten wrong codes in 24 hours for one person with one phone (over all their verifications,
    from any address): then no new verification for that person with that phone until the
    oldest ages out."""
    name, rrn, phone = new_name(), new_rrn(date(1983, 8, 15)), new_phone()

    def fresh() -> dict[str, Any]:
        started = start(lab.client(), name, rrn, phone)
        assert started.status_code == 201, started.text
        body: dict[str, Any] = started.json()
        return body

    first = fresh()  # five wrong codes lock it
    for _ in range(5):
        assert confirm(
            lab.client(), first["verification_id"], wrong(first["sandbox_code"])
        ).status_code in (400, 429)
    second = fresh()
    for _ in range(4):
        problem(
            confirm(lab.client(1), second["verification_id"], wrong(second["sandbox_code"])),
            400,
            "wrong-code",
        )
    lab.set_clock(base + timedelta(hours=1))
    third = fresh()  # nine wrong codes so far: still allowed
    problem(
        confirm(lab.client(), third["verification_id"], wrong(third["sandbox_code"])),
        400,
        "wrong-code",
    )

    for replica in (0, 1):
        refused = start(lab.client(replica), name, rrn, phone)
        problem(refused, 429, "rate-limited")
        assert refused.headers["Retry-After"] == str(23 * 3600)  # the first nine age out then
    # The open verification still takes its right code; other people are not affected.
    assert confirm(lab.client(), third["verification_id"], third["sandbox_code"]).status_code == 200
    assert (
        start(lab.client(), new_name(), new_rrn(date(1983, 8, 15)), new_phone()).status_code == 201
    )

    lab.set_clock(base + timedelta(days=1, seconds=1))
    fresh()


def test_a_stranger_failing_codes_under_someones_rrn_cannot_lock_them_out(
    lab: Lab, base: datetime
) -> None:
    """Someone who knows a victim's name and RRN starts verifications with them and their own
    phone, and fails every code: they run out of tries (their phone with that person is
    throttled for the day), the victim, with the victim's phone, does not."""
    name, rrn = new_name(), new_rrn(date(1979, 6, 1))
    strangers_phone, victims_phone = new_phone(), new_phone()
    for _ in range(2):  # two verifications, five wrong codes each: ten in all
        started = start(lab.client(), name, rrn, strangers_phone)
        assert started.status_code == 201, started.text
        body = started.json()
        for _ in range(5):
            guess = confirm(lab.client(), body["verification_id"], wrong(body["sandbox_code"]))
            assert guess.status_code in (400, 429), guess.text
    refused = start(lab.client(), name, rrn, strangers_phone)
    problem(refused, 429, "rate-limited")
    assert refused.headers["Retry-After"] == str(24 * 3600)

    victim, _ = verify(lab.client(), name, rrn, victims_phone)
    assert token_claims(lab.url(), victim.token)["person_key"] == person_key(lab.cluster, rrn)


def test_a_malformed_code_is_refused_without_using_a_try(lab: Lab, base: datetime) -> None:
    http = lab.client()
    body = start(http, new_name(), new_rrn(date(1991, 12, 31)), new_phone()).json()
    vid, code = body["verification_id"], body["sandbox_code"]
    for malformed in ("12ab56", "12345", "1234567", ""):
        refused = problem(confirm(http, vid, malformed), 422, "validation")
        assert refused["errors"][0]["field"] == "code"
    for _ in range(4):
        problem(confirm(http, vid, wrong(code)), 400, "wrong-code")
    assert confirm(http, vid, code).status_code == 200  # the fifth try, and the right code


def test_an_expired_code_is_refused(lab: Lab, base: datetime) -> None:
    http = lab.client()
    name, rrn, phone = new_name(), new_rrn(date(1965, 7, 7)), new_phone()
    late = start(http, name, rrn, phone).json()
    in_time = start(http, name, rrn, phone).json()

    lab.set_clock(base + timedelta(seconds=179))
    assert confirm(http, in_time["verification_id"], in_time["sandbox_code"]).status_code == 200
    lab.set_clock(base + timedelta(seconds=180))
    problem(
        confirm(http, late["verification_id"], late["sandbox_code"]), 400, "verification-expired"
    )
    lab.set_clock(base + timedelta(days=1))
    problem(
        confirm(http, late["verification_id"], late["sandbox_code"]), 400, "verification-expired"
    )


def test_a_used_verification_cannot_be_reused(lab: Lab, base: datetime) -> None:
    http = lab.client()
    body = start(http, new_name(), new_rrn(date(1999, 9, 9)), new_phone()).json()
    assert confirm(http, body["verification_id"], body["sandbox_code"]).status_code == 200
    for replica in (0, 1):
        again = confirm(lab.client(replica), body["verification_id"], body["sandbox_code"])
        problem(again, 404, "not-found")


def test_unknown_and_malformed_verification_ids(lab: Lab, base: datetime) -> None:
    http = lab.client()
    problem(confirm(http, "0190c0de-0000-7000-8000-000000000000", "123456"), 404, "not-found")
    problem(confirm(http, "not-a-uuid", "123456"), 422, "validation")


def test_starts_are_limited_per_phone(lab: Lab, base: datetime) -> None:
    phone = new_phone()
    spellings = [phone, phone.replace("-", ""), phone]  # one phone, however it is written
    for n, spelling in enumerate(spellings):
        lab.set_clock(base + timedelta(minutes=10 * n))
        response = start(lab.client(), new_name(), new_rrn(date(1980, 1, 1)), spelling)
        assert response.status_code == 201, response.text

    lab.set_clock(base + timedelta(minutes=30))
    refused = start(lab.client(), new_name(), new_rrn(date(1980, 1, 1)), phone)
    problem(refused, 429, "rate-limited")
    assert refused.headers["Retry-After"] == str(30 * 60)  # when the first start ages out

    lab.set_clock(base + timedelta(hours=1))
    assert start(lab.client(), new_name(), new_rrn(date(1980, 1, 1)), phone).status_code == 201
    refused = start(lab.client(), new_name(), new_rrn(date(1980, 1, 1)), phone)
    problem(refused, 429, "rate-limited")
    assert refused.headers["Retry-After"] == str(10 * 60)  # the second start ages out next


def test_starts_are_limited_per_client_address(lab: Lab, base: datetime) -> None:
    address = new_address()
    for _ in range(PER_ADDRESS):
        response = start(
            lab.client(address=address), new_name(), new_rrn(date(1977, 3, 3)), new_phone()
        )
        assert response.status_code == 201, response.text
    refused = start(lab.client(address=address), new_name(), new_rrn(date(1977, 3, 3)), new_phone())
    problem(refused, 429, "rate-limited")
    assert refused.headers["Retry-After"] == str(3600)
    # Another address is not affected.
    other = start(lab.client(), new_name(), new_rrn(date(1977, 3, 3)), new_phone())
    assert other.status_code == 201


def test_the_replicas_share_the_counts(lab: Lab, base: datetime) -> None:
    phone = new_phone()
    for n in range(PER_PHONE):
        response = start(lab.client(n % 2), new_name(), new_rrn(date(1990, 2, 2)), phone)
        assert response.status_code == 201, response.text
    for replica in (0, 1):
        refused = start(lab.client(replica), new_name(), new_rrn(date(1990, 2, 2)), phone)
        problem(refused, 429, "rate-limited")


def test_refused_starts_change_nothing(lab: Lab, base: datetime) -> None:
    phone, address = new_phone(), new_address()
    http = lab.client(address=address)
    bad_inputs: list[dict[str, Any]] = [
        {"method": "mobile", "name": "홍길동", "rrn": "901332-1234567", "phone": phone},
        {"method": "mobile", "name": "홍길동", "rrn": "9001011234567x", "phone": phone},
        {"method": "mobile", "name": " ", "rrn": "900101-1234567", "phone": phone},
        {"method": "mobile", "name": "홍길동", "rrn": "900101-1234567", "phone": "02-123-4567"},
        {"method": "fax", "name": "홍길동", "rrn": "900101-1234567", "phone": phone},
        {"name": "홍길동", "rrn": "900101-1234567", "phone": phone},
    ]
    for body in bad_inputs * 2:
        problem(http.post("/v1/verifications", json=body), 422, "validation")
    for _ in range(PER_PHONE):
        assert start(http, new_name(), new_rrn(date(1985, 5, 5)), phone).status_code == 201
    # Rate-limited starts are not counted either: once the window passes, all slots are back.
    for _ in range(3):
        problem(start(http, new_name(), new_rrn(date(1985, 5, 5)), phone), 429, "rate-limited")
    lab.set_clock(base + timedelta(hours=1, seconds=1))
    for _ in range(PER_PHONE):
        assert start(http, new_name(), new_rrn(date(1985, 5, 5)), phone).status_code == 201


def test_no_personal_data_in_responses_or_logs(lab: Lab, base: datetime) -> None:
    http = lab.client()
    name, rrn, phone = new_name(), new_rrn(date(1979, 10, 26)), new_phone()
    responses = []
    first = start(http, name, rrn, phone)
    body = first.json()
    responses += [
        first,
        confirm(http, body["verification_id"], wrong(body["sandbox_code"])),
        confirm(http, body["verification_id"], "abc"),
    ]
    verified, flow = verify(http, name, rrn, phone)
    responses += flow
    responses.append(
        http.post(
            "/v1/verifications",
            json={"method": "mobile", "name": name * 40, "rrn": rrn, "phone": phone},
        )
    )
    responses.append(
        http.post(
            "/v1/verifications",
            json={"method": "mobile", "name": name, "rrn": rrn[:-1] + "x", "phone": phone},
        )
    )
    responses.append(http.get("/v1/me/children", headers=bearer(verified.token)))
    me = http.get("/v1/me", headers=bearer(verified.token))
    assert me.json()["name"] == name  # the one place it may appear

    forbidden = [name, rrn, rrn.replace("-", ""), rrn[:6] + rrn[7:], phone, phone.replace("-", "")]
    for response in responses:
        for value in forbidden:
            assert value not in response.text, (response.request.url, value)
            assert value not in str(response.headers)
    logs = lab.log_text()
    assert "verification_confirmed" in logs
    for value in forbidden:
        assert value not in logs


class StillClock:
    def __init__(self, instant: datetime) -> None:
        self.instant = instant

    def now(self) -> datetime:
        return self.instant


async def test_housekeeping_forgets_old_counts_and_verifications(
    lab: Lab, cluster: Cluster, base: datetime
) -> None:
    phone = new_phone()
    started = [start(lab.client(), new_name(), new_rrn(date(1960, 6, 6)), phone) for _ in range(3)]
    assert [r.status_code for r in started] == [201, 201, 201]
    problem(start(lab.client(), new_name(), new_rrn(date(1960, 6, 6)), phone), 429, "rate-limited")

    env = cluster.env("identity")
    values: dict[str, Any] = {k.removeprefix("MEDREC_IDENTITY_").lower(): v for k, v in env.items()}
    settings = IdentitySettings(**values)
    db = Database(settings.database_url, pool_size=1)
    try:
        # A day and an hour later: past the window, and past a day's retention after expiry.
        await housekeeping_job(
            Transactions.of(db), settings, StillClock(base + timedelta(days=1, hours=1))
        )()
    finally:
        await db.dispose()

    # The counts are gone (even on the lab's unchanged clock), and so are the verifications.
    assert start(lab.client(), new_name(), new_rrn(date(1960, 6, 6)), phone).status_code == 201
    body = started[0].json()
    problem(confirm(lab.client(), body["verification_id"], body["sandbox_code"]), 404, "not-found")
