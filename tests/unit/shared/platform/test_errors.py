"""Events are not trusted blindly: the ownership map, the refusal of an envelope from the wrong
producer or topic, the outbox that will not write another service's event, the retention
re-check before destruction, and dead-letter errors that carry no personal data."""

import httpx
import pytest
from pydantic import ValidationError

from medrec_shared.platform.deadletters.errors import EventRefused, describe, is_transient
from medrec_shared.rules.events import RecordRetentionDue

RRN = "880707-1234567"


def test_dead_letter_errors_never_quote_the_input() -> None:
    with pytest.raises(ValidationError) as invalid:
        RecordRetentionDue.model_validate({"record_id": RRN, "retention_until": "홍길동"})
    kind, message = describe(invalid.value)
    assert kind == "ValidationError"
    assert message == (
        "the payload is not valid: 2 error(s): date_from_datetime_parsing, uuid_parsing"
    )
    assert RRN not in message and "홍길동" not in message
    kind, message = describe(RuntimeError(f"patient {RRN} not found"))
    assert kind == "RuntimeError" and RRN not in message
    assert describe(EventRefused("refused: a rule"))[1] == "refused: a rule"


def test_a_dependency_away_does_not_count_as_an_attempt() -> None:
    request = httpx.Request("GET", "http://ingest/internal/v1/records/x")
    assert is_transient(httpx.ConnectError("refused", request=request))
    assert is_transient(ConnectionRefusedError())
    for status, transient in ((503, True), (429, True), (404, False), (422, False)):
        error = httpx.HTTPStatusError("", request=request, response=httpx.Response(status))
        assert is_transient(error) is transient
    assert not is_transient(ValueError())
    assert not is_transient(EventRefused("no"))
