"""What a document is made of: the structured records among those given, parsed, grouped by
institution in the order given; a KR Core bundle (`application/fhir+json`) is read as a
structured record (`rules.clinical.krcore_in`). Other records (scans, text) hold no entries a
form can use, and a structured record that does not validate is left out the same way (ingest
checked it on deposit: this is the backstop, and it names no content).

`NothingToShow` carries the reason the citizen reads when a document would be empty; the
issuance API refuses such a request before anything renders, with the same words
(`medrec_shared.rules.documents.nothing_to_show`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from medrec_shared.rules.clinical import (
    FHIR_CONTENT_TYPE,
    STRUCTURED_RECORD_CONTENT_TYPE,
    StructuredRecordModel,
    parse_krcore_record,
    parse_structured_record,
)

from ..models import RecordDocument
from ..render import media_type

logger = logging.getLogger(__name__)


class NothingToShow(Exception):
    """The records hold nothing for the document asked for; ``reason`` is the citizen's."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Source:
    """One structured record and what it holds."""

    record: RecordDocument
    content: StructuredRecordModel


@dataclass(frozen=True, slots=True)
class Institution:
    name: str
    code: str
    sources: tuple[Source, ...]


def structured(records: Sequence[RecordDocument]) -> list[Source]:
    sources = []
    for record in records:
        kind = media_type(record.content_type)[0]
        if kind not in (STRUCTURED_RECORD_CONTENT_TYPE, FHIR_CONTENT_TYPE):
            continue
        if record.content is None:
            raise ValueError(f"record {record.record_id} is rendered but its content was not given")
        try:
            content = (
                parse_krcore_record(record.content, record.specialty)
                if kind == FHIR_CONTENT_TYPE
                else parse_structured_record(record.content)
            )
        except ValueError:
            logger.warning("structured record %s does not validate", record.record_id)
            continue
        sources.append(Source(record, content))
    return sources


def by_institution(records: Sequence[RecordDocument]) -> list[Institution]:
    """The structured records, an institution at a time, institutions in their first record's
    order."""
    groups: dict[str, tuple[str, list[Source]]] = {}
    for source in structured(records):
        code = source.record.institution_code
        groups.setdefault(code, (source.record.institution_name, []))[1].append(source)
    return [Institution(name, code, tuple(found)) for code, (name, found) in groups.items()]
