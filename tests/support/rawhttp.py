"""A request over a bare socket whose body keeps coming while the answer is read, for tests of
what a server does before it has read a body: whether it answers, and whether it closes the
connection instead of reading on."""

import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx


@dataclass
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from the first byte sent to the whole answer read
    closed: bool  # the server closed the connection after answering (did not wait for more)
    sent: int = 0  # body bytes the client got out, all told
    errors: list[str] = field(default_factory=list)


def chunked(pieces: Iterable[bytes]) -> Iterable[bytes]:
    """HTTP/1.1 chunked coding of `pieces`, never terminated: the body never ends."""
    for piece in pieces:
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"


def send_while_reading(
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Iterable[bytes],
    *,
    timeout: float = 30,
) -> RawAnswer:
    """Sends the request head, then `body` from a thread (until it ends or the server cuts the
    connection) while the answer is read; raises if no whole answer comes within `timeout`."""
    url = httpx.URL(base_url)
    sock = socket.create_connection((url.host, url.port or 80), timeout=timeout)
    head = f"{method} {path} HTTP/1.1\r\nHost: {url.host}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sent = 0
    stop = threading.Event()
    errors: list[str] = []

    def send_body() -> None:
        nonlocal sent
        try:
            for piece in body:
                if stop.is_set():
                    return
                sock.sendall(piece)
                sent += len(piece)
        except OSError as exc:  # the server closed the connection: what some tests expect
            errors.append(type(exc).__name__)

    started = time.monotonic()
    sock.sendall(head.encode())
    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    try:
        status, answer_headers, answer, closed = _read_answer(sock, started + timeout)
        seconds = time.monotonic() - started
    finally:
        stop.set()
        sock.close()
        sender.join(timeout)
    return RawAnswer(status, answer_headers, answer, seconds, closed, sent, errors)


def _read_answer(sock: socket.socket, deadline: float) -> tuple[int, dict[str, str], bytes, bool]:
    raw = b""
    while b"\r\n\r\n" not in raw:
        raw += _recv(sock, deadline, "the answer's head")
    head, _, rest = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += _recv(sock, deadline, "the answer's body")
    # Closed: the next read ends the stream (or is reset) at once, rather than waiting.
    try:
        sock.settimeout(max(0.1, min(5.0, deadline - time.monotonic())))
        closed = sock.recv(1) == b""
    except ConnectionResetError:
        closed = True
    except TimeoutError:
        closed = False
    return int(status_line.split(" ", 2)[1]), headers, rest[:length], closed


def _recv(sock: socket.socket, deadline: float, what: str) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise AssertionError(f"no answer: {what} did not arrive in time")
    sock.settimeout(remaining)
    try:
        data = sock.recv(65536)
    except TimeoutError:
        raise AssertionError(f"no answer: {what} did not arrive in time") from None
    if not data:
        raise AssertionError(f"the connection closed before {what}")
    return data
