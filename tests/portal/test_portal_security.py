"""What the portal gives a browser: an opaque session id in an HttpOnly, SameSite=Lax cookie
(Secure outside the local stack), never one it did not issue itself, no token anywhere, forms
refused without their CSRF token, the security headers on every answer, and Korean pages for
what goes wrong."""

import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from medrec_shared.platform.frontdoor.sessions import csrf_token
from tests.support.stack import sql

pytestmark = pytest.mark.e2e


def test_the_cookie_is_an_opaque_http_only_same_site_id(cluster: Cluster, people: Any) -> None:
    visitor = people()
    visitor.open("/")
    (cookie,) = visitor.context.cookies()
    assert cookie["name"] == "medrec_portal_session"
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # the local stack serves plain http (COOKIE_SECURE=false)
    assert len(cookie["value"]) == 64 and "." not in cookie["value"]
    raw = httpx.get(cluster.url("portal") + "/").headers["set-cookie"]
    assert "HttpOnly" in raw and "SameSite=Lax" in raw and "Path=/" in raw


def test_a_session_id_the_portal_never_issued_is_replaced_never_adopted(cluster: Cluster) -> None:
    base, name = cluster.url("portal"), "medrec_portal_session"
    planted = secrets.token_urlsafe(48)  # well formed, as long as the portal's own: not theirs
    answer = httpx.get(base + "/signin", cookies={name: planted})
    issued = answer.headers["set-cookie"].split(";", 1)[0].removeprefix(name + "=")
    assert issued and issued != planted
    assert planted not in answer.text  # nor is the page's CSRF token the planted id's
    assert csrf_token(cluster.secrets.portal_csrf_key.encode(), planted) not in answer.text
    # Whoever planted it and knew its forms' token still gets no session made under it.
    key = cluster.secrets.portal_csrf_key.encode()
    form = {"name": "배수지", "rrn": "950505-2000808", "phone": "010-4400-0001",
            "csrf_token": csrf_token(key, planted)}  # fmt: skip
    posted = httpx.post(base + "/signin", data=form, cookies={name: planted})
    assert posted.status_code == 403
    with ThreadPoolExecutor(1) as pool:  # as below: off any running event loop
        rows = pool.submit(
            sql, cluster, "portal", "SELECT 1 FROM sessions WHERE id_hash = $1",
            hashlib.sha256(planted.encode()).digest(),
        ).result()  # fmt: skip
    assert rows == []
    # The id it did issue is kept from then on.
    again = httpx.get(base + "/signin", cookies={name: issued})
    assert "set-cookie" not in again.headers


def test_a_form_posted_without_its_csrf_token_is_refused(cluster: Cluster, people: Any) -> None:
    visitor = people()
    page = visitor.open("/signin")
    body = {"name": "홍길동", "rrn": "900101-1234567", "phone": "010-0000-0000"}
    for form in (body, body | {"csrf_token": "0" * 64}):
        refused = page.request.post(visitor.base + "/signin", form=form, max_redirects=0)
        assert refused.status == 403
        assert "보안 확인에 실패했습니다" in refused.text()
        assert "인증번호" not in refused.text()
    for path in ("/signout", "/children/stop", "/copies", "/verify", "/proxy"):
        assert page.request.post(visitor.base + path, form={}).status == 403, path
    # The same form from the page itself goes through.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value") or ""
    passed = page.request.post(visitor.base + "/signin", form=body | {"csrf_token": token},
                               max_redirects=0)  # fmt: skip
    assert passed.status == 303


def test_every_answer_carries_the_security_headers(cluster: Cluster) -> None:
    base = cluster.url("portal")
    for path in ("/", "/verify", "/no-such-page", "/static/portal/portal.js"):
        headers = httpx.get(base + path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"


def test_problems_are_korean_pages_never_json_or_traces(cluster: Cluster, people: Any) -> None:
    visitor = people()
    page = visitor.open("/no-such-page")
    assert page.locator("h1").inner_text() == "페이지를 찾을 수 없습니다"
    visitor.look("not-found")
    for path in (
        "/copies/not-a-uuid",
        "/institutions?q=" + "가" * 200,
        "/verify?number=" + "9" * 99,
    ):
        answer = httpx.get(cluster.url("portal") + path)
        assert answer.status_code in (303, 404, 422), path
        if answer.status_code != 303:  # signed out: off to 본인인증
            assert answer.headers["content-type"].startswith("text/html"), path
            assert "Traceback" not in answer.text and '"detail"' not in answer.text


def test_the_sessions_table_holds_no_token_and_no_session_id(cluster: Cluster, people: Any) -> None:
    people().sign_in("배수지", "950505-2000808", "010-4400-0001")
    # Off Playwright's thread, whose event loop is running.
    with ThreadPoolExecutor(1) as pool:
        rows = pool.submit(
            sql, cluster, "portal", "SELECT id_hash, data_sealed FROM sessions"
        ).result()
    assert rows
    for row in rows:
        assert len(row["id_hash"]) == 32
        assert b"eyJ" not in row["data_sealed"] and b"access_token" not in row["data_sealed"]


def test_the_portals_log_holds_no_rrn_name_or_token(cluster: Cluster, people: Any) -> None:
    visitor = people()
    visitor.sign_in("남궁민", "880808-1000909", "010-4400-0002")
    visitor.open("/institutions?q=남궁")
    log = (cluster.logs / "portal.log").read_text()
    assert "request" in log  # the access log is there
    for secret in ("880808-1000909", "8808081000909", "남궁민", "남궁", "eyJ", "access_token"):
        assert secret not in log, secret
