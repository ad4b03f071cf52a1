"""What the console gives a browser: an opaque session id in an HttpOnly, SameSite=Strict cookie,
never one it did not issue itself, no token anywhere, forms refused without their CSRF token, the
security headers (a CSP without inline script) on every answer, the sign-in page for anyone not
signed in, and Korean pages for what goes wrong."""

from typing import Any

import httpx
import pytest

from medrec_devstack.cluster import CONSOLE, Cluster

pytestmark = pytest.mark.e2e
COOKIE = "medrec_console_session"


def test_the_cookie_is_an_opaque_http_only_strict_id(cluster: Cluster) -> None:
    answer = httpx.get(cluster.url(CONSOLE) + "/signin")
    raw = answer.headers["set-cookie"]
    assert raw.startswith(COOKIE + "=")
    assert "HttpOnly" in raw and "SameSite=Strict" in raw and "Path=/" in raw
    assert len(raw.split(";", 1)[0].split("=", 1)[1]) == 64


def test_every_answer_carries_the_security_headers(cluster: Cluster) -> None:
    base = cluster.url(CONSOLE)
    for path in ("/signin", "/no-such-page", "/static/console/console.css"):
        headers = httpx.get(base + path).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, path
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy, path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path
    assert httpx.get(base + "/signin").headers["cache-control"] == "no-store"
    # KRDS and Pretendard are served by the console itself, from its npm install.
    assert httpx.get(base + "/static/krds/css/component/output.css").status_code == 200
    assert httpx.get(base + "/static/pretendard/variable/pretendardvariable.css").status_code == 200


def test_every_page_sends_a_stranger_to_sign_in(cluster: Cluster) -> None:
    base = cluster.url(CONSOLE)
    for path in ("/", "/linkage", "/proxy-requests", "/transfers", "/audit", "/staff"):
        answer = httpx.get(base + path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/signin?next=" + path), path


def test_a_form_posted_without_its_csrf_token_is_refused(
    cluster: Cluster, staff_people: Any
) -> None:
    visitor = staff_people()
    page = visitor.open("/signin")
    visitor.look("signin")
    body = {"login": "nobody", "password": "wrong-password-1", "totp": "123456"}
    for form in (body, body | {"csrf_token": "0" * 64}):
        refused = page.request.post(visitor.base + "/signin", form=form, max_redirects=0)
        assert refused.status == 403
        assert "보안 확인에 실패했습니다" in refused.text()
    for path in ("/signout", "/signin/password", "/linkage/" + "0" * 32):
        assert page.request.post(visitor.base + path, form={}).status == 403, path


def test_a_body_over_its_bound_is_refused_in_korean(cluster: Cluster) -> None:
    answer = httpx.post(
        cluster.url(CONSOLE) + "/signin",
        content=b"login=" + b"a" * (70 * 1024),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 413
    assert "보낸 내용이 너무 큽니다" in answer.text


def test_an_empty_sign_in_form_says_what_is_missing(cluster: Cluster, staff_people: Any) -> None:
    visitor = staff_people()
    page = visitor.open("/signin")
    page.get_by_role("button", name="로그인", exact=True).click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "아이디를 입력해 주세요" in text and "비밀번호를 입력해 주세요" in text
    assert "6자리 숫자" in text
    visitor.look("signin-invalid")
