"""Builders of what tests work with: records, request bodies, rows, settings, principals. One
module, so a test finds them in one place."""

import base64
import hashlib
import json
import random
import secrets
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from medrec_catalog.models import CatalogRecord, RecordStatus
from medrec_identity.children.service import KnownChild
from medrec_identity.family.port import FamilyEntry
from medrec_identity.models import Person
from medrec_ingest.models import Transfer, TransferStatus
from medrec_ingest.settings import IngestSettings
from medrec_shared.rules.guardianship import decide


def inline(content: bytes, content_type: str) -> dict[str, str]:
    return {"content_type": content_type, "data_base64": base64.b64encode(content).decode()}


def structured_medical(note: str) -> bytes:
    return json.dumps(
        {
            "schema_version": "1",
            "specialty": "medical",
            "encounters": [
                {"date": "2019-03-02", "department": "소아청소년과", "chief_complaint": note}
            ],
            "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
        },
        ensure_ascii=False,
    ).encode()


def record_body(
    rrn: str, name: str, birth: str, content: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    sex = "male" if rrn[7] in "13579" else "female"  # as the number's seventh digit says
    return {
        "patient": {"rrn": rrn, "name": name, "birth_date": birth, "sex": sex},
        "kind": "medical_record",
        "specialty": "medical",
        "title": "외래 진료기록",
        "service_start": "2019-03-02",
        "service_end": "2019-03-09",
        "department": "소아청소년과",
        "content": content,
    } | overrides


# -- the transfer API in depth (ingest) ---------------------------------------------------------
def declared(content: bytes, content_type: str) -> dict[str, Any]:
    """A record's content declared, to be streamed to …/content afterwards."""
    return {
        "content_type": content_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def content_digest(content: bytes) -> str:
    """RFC 9530 `Content-Digest` of `content`."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(content).digest()).decode()}:"


def batch_line(external_id: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"external_id": external_id} | record


def ndjson(lines: Iterable[dict[str, Any] | bytes]) -> bytes:
    return b"".join(
        (line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode()) + b"\n"
        for line in lines
    )


# Synthetic person and clinical text: they must never show up in a log, problem or event.
RRN, NAME, BIRTH = "880808-1555555", "박검증", "1988-08-08"


NOTE = "INGEST-SECRET-NOTE-4711 발열과 기침"


def new_code() -> str:
    return f"7{random.randrange(10**7):07d}"


def a_record(**overrides: Any) -> dict[str, Any]:
    """A valid record with inline text content."""
    content = overrides.pop("content", inline(NOTE.encode(), "text/plain"))
    return record_body(RRN, NAME, BIRTH, content, **overrides)


def structured(specialty: str = "medical", **extra: Any) -> bytes:
    document = {
        "schema_version": "1",
        "specialty": specialty,
        "encounters": [{"date": "2019-03-02", "chief_complaint": NOTE}],
        "diagnoses": [{"code": "J06.9", "name": "급성 상기도감염", "primary": True}],
    } | extra
    return json.dumps(document, ensure_ascii=False).encode()


STRONG = secrets.token_urlsafe(32)


KEYS = f"kek-1:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def ingest(**overrides: object) -> IngestSettings:
    values: dict[str, object] = {
        "database_url": "postgresql+asyncpg://medrec@db/medrec_ingest",
        "kafka_bootstrap_servers": "kafka:9092",
        "identity_url": "https://identity.medrec.example",
        "s3_url": "https://minio.medrec.example",
        "s3_access_key": "medrec-ingest",
        "s3_secret_key": STRONG,
        "content_keys": KEYS,
        "content_key_active": "kek-1",
        "person_index_key": STRONG,
    }
    return IngestSettings(**(values | overrides))  # type: ignore[arg-type]


CHILD, GUARDIAN = "c" * 64, "g" * 64


def record(
    kind: str = "prescription", status: RecordStatus = RecordStatus.available
) -> CatalogRecord:
    return CatalogRecord(
        record_id=uuid.uuid4(),
        person_key=CHILD,
        institution_code="81000001",
        kind=kind,
        specialty="medical",
        title="처방전",
        department=None,
        service_start=date(2025, 11, 1),
        service_end=date(2025, 11, 3),
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        retention_until=date(2027, 11, 3),
        retention_extended=False,
        status=status,
    )


NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)


def person(born: date) -> Person:
    return Person(
        person_id=uuid.uuid4(),
        person_key=uuid.uuid4().hex * 2,
        rrn_sealed=b"",
        name_sealed=b"",
        birth_date=born,
    )


def known(born: date, *, relation: str | None = "parent", authority: bool = True) -> KnownChild:
    entry = FamilyEntry(
        rrn="100505-3000000",
        name="김아이",
        birth_date=born,
        relation=relation,  # type: ignore[arg-type]
        parental_authority=authority,
    )
    return KnownChild(entry, person(born), decide(entry.relation, authority, born, NOW))


def a_transfer(**fields: Any) -> Transfer:
    values: dict[str, Any] = {
        "transfer_id": uuid.uuid4(),
        "status": TransferStatus.open,
        "reason": "suspension",
        "record_count": None,
        "released_at": None,
        "grace_until": None,
    }
    return Transfer(**(values | fields))


KEY = b"k" * 32


BORN = date(1961, 5, 17)


def key_spec() -> str:
    return f"kek-1:{base64.b64encode(secrets.token_bytes(32)).decode()}"
