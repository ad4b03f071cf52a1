"""The event envelope, as the platform carries it: JSON on the wire, a payload whose kind the
rules side defines (medrec_shared.rules.events subclasses `EventData`), and the questions the
platform's delivery asks about events (`EventRules`), answered by the rules side
(medrec_shared.rules.topics.EVENT_RULES). The platform never imports the rules: they are handed
in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from medrec_shared.platform.ids import new_id
from medrec_shared.platform.logs import get_correlation_id
from medrec_shared.platform.tracing import current_traceparent

if TYPE_CHECKING:
    from medrec_shared.platform.settings import TopicSetting

_KINDS: dict[str, type[EventData]] = {}


class EventData(BaseModel):
    """An event's payload. Each kind is a subclass naming its `type`; defining it makes it
    known by that name (`event_kind`), so an envelope gives back its payload."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: ClassVar[str]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        name = cls.__dict__.get("type")
        if isinstance(name, str):
            known = _KINDS.setdefault(name, cls)
            assert known is cls, f"two kinds of event are named {name}"


def event_kind(event_type: str) -> type[EventData] | None:
    """The payload's class for an event type, or None for a type no kind is named."""
    return _KINDS.get(event_type)


def type_label(event_type: str) -> str:
    """A metric label for an event type: the known ones, so a sender cannot mint series."""
    return event_type if event_type in _KINDS else "unknown"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(default_factory=new_id)
    type: str
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str = Field(default_factory=get_correlation_id)
    data: dict[str, Any]
    # The W3C trace context the event was announced in (traces on): its consumers' spans join
    # the trace of the request (or event) that announced it.
    traceparent: str | None = None

    @classmethod
    def wrap(
        cls,
        producer: str,
        data: EventData,
        *,
        occurred_at: datetime | None = None,
        traceparent: str | None = None,
    ) -> Envelope:
        """`data` as `producer`'s event, in the trace of `traceparent` (the active span's when
        None)."""
        return cls(
            type=data.type,
            producer=producer,
            data=data.model_dump(mode="json"),
            occurred_at=occurred_at or datetime.now(UTC),
            traceparent=traceparent or current_traceparent(),
        )

    def payload(self) -> EventData:
        return _KINDS[self.type].model_validate(self.data)


@dataclass(frozen=True, kw_only=True)
class EventRules:
    """Who may say what on which topic, as the platform's delivery asks it: the outbox before it
    writes an event (`owns`), the consumer before it applies one (`refusal`) and when it parks
    one (`producers`), the worker when it subscribes (`consumes`). Given by the rules side
    (medrec_shared.rules.topics.EVENT_RULES) to whatever the service's composition builds."""

    producers: frozenset[str]  # every service that produces events
    consumes: Mapping[str, tuple[TopicSetting, ...]]  # the topics each consuming service reads
    owns: Callable[[str, str], bool]  # (service, event type): may it announce it
    # (topic names by setting, the topic read, the envelope): why it is refused, or None
    refusal: Callable[[Mapping[TopicSetting, str], str, Envelope], str | None]
