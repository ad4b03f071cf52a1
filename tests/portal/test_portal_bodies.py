"""What the portal reads of a request body (medrec_portal.bodies): a form at most 64 KiB, a copy
to check and an Art. 21 request's documents what issuance takes for them; past that a Korean 413
page, at once when the length says so and otherwise as the body crosses it, with nothing more
read. A form with files is refused for a missing CSRF token or session before its body is read,
and a copy to check goes on to issuance as it arrives, so the portal never holds it."""

import re
from collections.abc import Callable, Iterator

import httpx
import pytest

from medrec_devstack.cluster import Cluster
from tests.support.lab import service_lab
from tests.support.rawhttp import RawAnswer, chunked, send_while_reading
from tests.support.stack import rss_samples

pytestmark = pytest.mark.e2e

MiB = 1024 * 1024
COPY_CAP = 128 * MiB + 64 * 1024  # issuance's copy_max_bytes and the form around it
TOO_LARGE = "파일이 너무 큽니다"
CSRF_REFUSED = "보안 확인에 실패했습니다"
BOUNDARY = "portal-test-boundary-7e1f"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def a_visitor(base: str) -> tuple[str, str]:
    """A browser's session cookie (as the Cookie header) and its forms' CSRF token."""
    answer = httpx.get(base + "/verify")
    cookie = answer.headers["set-cookie"].split(";", 1)[0]
    found = re.search(r'csrf_token(?:=|" value=")([0-9a-f]{64})', answer.text)
    assert found, "no CSRF token on the page"
    return cookie, found.group(1)


def copy_form(csrf: str, size: int, piece: int = 256 * 1024) -> tuple[int, Iterator[bytes]]:
    """A 진위확인 form (its token also as the first field) holding a file of `size` bytes: its
    length and its body, a piece at a time."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="copy.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    filler = (b"%PDF-1.7\r\n" + b"0" * 1014) * (piece // 1024)

    def pieces() -> Iterator[bytes]:
        yield head
        left = size
        while left > 0:
            yield filler[: min(left, piece)]
            left -= piece
        yield tail

    return len(head) + size + len(tail), pieces()


def a_little(size: int = 64 * 1024) -> Iterator[bytes]:
    """The first bytes of a body that is not multipart at all, and never the rest."""
    yield b"\x00garbage, not a multipart body" * (size // 30)


def a_file_begun(size: int = 64 * 1024) -> Iterator[bytes]:
    """The first bytes of a well-formed form with a file, and never the rest."""
    _, pieces = copy_form("0" * 64, size)
    yield from list(pieces)[:-1]


def assert_refused_unread(answer: RawAnswer, status: int) -> None:
    assert answer.status == status, answer.body[:300]
    # Closed at once: the server did not wait to read (and drop) the rest. (Closing after 5 s
    # is uvicorn's keep-alive timeout, not a refusal.)
    assert answer.closed and answer.seconds < 3


def test_a_form_over_64_kib_is_refused_with_a_korean_page_before_it_is_read(
    cluster: Cluster,
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(8 * MiB)}
    answer = send_while_reading(
        cluster.url("portal"), "POST", "/signin", headers, a_little(), timeout=15
    )
    assert_refused_unread(answer, 413)
    assert answer.headers["content-type"].startswith("text/html")
    assert TOO_LARGE in answer.body.decode()
    assert answer.headers["x-frame-options"] == "DENY"  # a portal page like any other


def test_a_chunked_form_is_refused_as_it_passes_64_kib(cluster: Cluster) -> None:
    # No length, and a body that never ends: only counting what arrives can refuse it.
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"}
    forever = chunked(b"name=" + b"a" * 16_000 for _ in range(100_000))
    answer = send_while_reading(cluster.url("portal"), "POST", "/signin", headers, forever,
                                timeout=15)  # fmt: skip
    assert answer.status == 413, answer.body[:300]
    assert TOO_LARGE in answer.body.decode()
    assert answer.closed
    assert answer.sent < 8 * MiB


@pytest.mark.parametrize("path", ["/verify", "/proxy"])
@pytest.mark.parametrize("token", [None, "0" * 64])
@pytest.mark.parametrize("body", [a_little, a_file_begun])
def test_a_form_with_files_without_its_csrf_token_is_refused_before_its_body_is_read(
    cluster: Cluster, path: str, token: str | None, body: Callable[[], Iterator[bytes]]
) -> None:
    cookie, _ = a_visitor(cluster.url("portal"))
    headers = MULTIPART | {"Content-Length": str(20 * MiB), "Cookie": cookie}
    target = path + (f"?csrf_token={token}" if token else "")
    answer = send_while_reading(cluster.url("portal"), "POST", target, headers, body(), timeout=15)
    assert_refused_unread(answer, 403)  # not 400: a malformed body was never parsed
    assert CSRF_REFUSED in answer.body.decode()


def test_a_signed_out_upload_of_documents_is_sent_to_sign_in_before_its_body_is_read(
    cluster: Cluster,
) -> None:
    cookie, csrf = a_visitor(cluster.url("portal"))
    headers = MULTIPART | {"Content-Length": str(20 * MiB), "Cookie": cookie}
    answer = send_while_reading(cluster.url("portal"), "POST", f"/proxy?csrf_token={csrf}",
                                headers, a_file_begun(), timeout=15)  # fmt: skip
    assert_refused_unread(answer, 303)
    assert answer.headers["location"].startswith("/signin")


def test_a_copy_larger_than_issuance_takes_is_refused_before_it_is_read(cluster: Cluster) -> None:
    cookie, csrf = a_visitor(cluster.url("portal"))
    headers = MULTIPART | {"Content-Length": str(COPY_CAP + 1), "Cookie": cookie}
    answer = send_while_reading(cluster.url("portal"), "POST", f"/verify?csrf_token={csrf}",
                                headers, a_file_begun(), timeout=15)  # fmt: skip
    assert_refused_unread(answer, 413)
    assert TOO_LARGE in answer.body.decode()


def test_a_100_mib_copy_goes_on_to_issuance_as_it_arrives_and_the_portal_stays_small(
    cluster: Cluster,
) -> None:
    with service_lab(cluster, "portal", "bodies") as lab:
        pid = lab.processes[0].pid
        assert pid is not None
        cookie, csrf = a_visitor(lab.url())
        length, body = copy_form(csrf, 100 * MiB)
        headers = MULTIPART | {"Content-Length": str(length), "Cookie": cookie}
        with rss_samples(pid) as samples:
            answer = send_while_reading(
                lab.url(), "POST", f"/verify?csrf_token={csrf}", headers, body, timeout=120
            )
        before, peak = samples[0], max(samples)
        print(
            f"\nportal RSS around a 100 MiB copy: before {before / MiB:.1f} MiB, "
            f"peak {peak / MiB:.1f} MiB, answered {answer.status} in {answer.seconds:.1f} s"
        )
        assert answer.status == 200, answer.body[:300]
        # Issuance hashed it all and knows no such copy.
        assert "유효하지 않은 사본입니다" in answer.body.decode()
        assert peak - before < 24 * MiB
