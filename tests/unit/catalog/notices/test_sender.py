"""The notification port's adapters against outside parties played by a tiny HTTP server: the
HTTP SMS/알림톡 provider gets the text, the phone and the notice id with its API key; the phone
comes from identity's contact endpoint (scope contact:read) at send time; no phone known is
`no_contact` and nothing goes out; a provider's refusal raises (the deliverer tries again). The
sandbox sends nothing anywhere and logs only the kind and the notice id."""

import asyncio
import uuid

import pytest

from medrec_catalog.models import DeliveryStatus
from medrec_catalog.notices.sender import (
    HttpNoticeSender,
    IdentityContacts,
    Outgoing,
    SandboxNoticeSender,
)
from medrec_shared.platform.http import ClientCredentials, ServiceClient
from medrec_shared.rules.notices import NoticeKind, notice_text
from tests.support.fakes import Reply, Seen, fake_server

KNOWN, UNKNOWN, PHONE = "k" * 64, "u" * 64, "01055556666"
TEXT = notice_text(NoticeKind.copy_ready, {"number": "MR-2026-000123"})


def outgoing(person_key: str) -> Outgoing:
    return Outgoing(uuid.uuid4(), person_key, NoticeKind.copy_ready.value, TEXT)


def token(_: Seen) -> Reply:
    return Reply(200, {"access_token": "catalog-token", "expires_in": 300, "token_type": "bearer"})


def contact(seen: Seen) -> Reply:
    assert seen.headers["authorization"] == "Bearer catalog-token"
    return Reply(200, {"phone": PHONE})


def sender_for(url: str, *, provider_path: str = "/send") -> HttpNoticeSender:
    credentials = ClientCredentials(f"{url}/oauth/token", "catalog", "secret", "contact:read")
    contacts = IdentityContacts(ServiceClient(url, credentials))
    return HttpNoticeSender(f"{url}{provider_path}", "provider-key", contacts)


def test_the_provider_gets_the_text_to_the_verified_phone_with_its_key() -> None:
    routes = {
        ("POST", "/oauth/token"): token,
        ("GET", f"/internal/v1/persons/{KNOWN}/contact"): contact,
        ("POST", "/send"): lambda _: Reply(202, {"accepted": True}),
    }
    with fake_server(routes) as server:
        sender = sender_for(server.url)
        one = outgoing(KNOWN)

        async def run() -> DeliveryStatus:
            try:
                return await sender.send(one)
            finally:
                await sender.aclose()

        assert asyncio.run(run()) == DeliveryStatus.sent
        sent = [s for s in server.seen if s.path == "/send"]
        assert len(sent) == 1
        assert sent[0].headers["authorization"] == "Bearer provider-key"
        assert sent[0].json() == {"to": PHONE, "text": TEXT, "reference": str(one.notice_id)}
        scopes = [s.form()["scope"] for s in server.seen if s.path == "/oauth/token"]
        assert scopes == ["contact:read"]


def test_no_phone_known_sends_nothing() -> None:
    routes = {("POST", "/oauth/token"): token, ("POST", "/send"): lambda _: Reply(202, {})}
    with fake_server(routes) as server:
        sender = sender_for(server.url)

        async def run() -> DeliveryStatus:
            try:
                return await sender.send(outgoing(UNKNOWN))
            finally:
                await sender.aclose()

        assert asyncio.run(run()) == DeliveryStatus.no_contact
        assert [s.path for s in server.seen if s.path == "/send"] == []


def test_a_provider_refusal_raises_for_the_deliverer_to_try_again() -> None:
    routes = {
        ("POST", "/oauth/token"): token,
        ("GET", f"/internal/v1/persons/{KNOWN}/contact"): contact,
        ("POST", "/send"): lambda _: Reply(503, {"error": "busy"}),
    }
    with fake_server(routes) as server:
        sender = sender_for(server.url)

        async def run() -> None:
            try:
                await sender.send(outgoing(KNOWN))
            finally:
                await sender.aclose()

        with pytest.raises(Exception, match="503"):
            asyncio.run(run())


def test_the_sandbox_logs_the_kind_and_the_id_only(capsys: pytest.CaptureFixture[str]) -> None:
    one = outgoing(KNOWN)
    assert asyncio.run(SandboxNoticeSender().send(one)) == DeliveryStatus.sent
    said = "".join(capsys.readouterr())
    assert str(one.notice_id) in said and "copy_ready" in said
    assert KNOWN not in said and TEXT not in said and "MR-2026-000123" not in said
