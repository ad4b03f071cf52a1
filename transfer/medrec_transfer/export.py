"""An export directory, read and checked before anything is sent.

    EXPORT_DIR/transfer.json     the body of POST /v1/transfers
    EXPORT_DIR/records.ndjson    one batch-deposit line per record: `external_id`, the record's
                                 fields, and `content` either inline `{content_type, data_base64}`
                                 or `{content_type, file}` (a path relative to EXPORT_DIR)

Lines are checked against the record schema ingest publishes in its OpenAPI document (BatchLine,
with a file's content checked as the declaration that will be sent for it; structured content
against its specialty's form of StructuredRecord; a KR Core bundle, `application/fhir+json`, by
the KR Core checks ingest runs, krcore.py), plus what only the export can get wrong: a file that
is missing or outside the directory, an external_id twice. Only each line's place in
records.ndjson is kept, not its bytes, so an export of any size is checked and later sent in
bounded memory. Messages name fields, never the refused values: a line may hold a name or an
RRN."""

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from medrec_transfer import bills
from medrec_transfer.krcore import FHIR_JSON, bundle_errors

TRANSFER_FILE = "transfer.json"
RECORDS_FILE = "records.ndjson"
REPORT_FILE = "medrec-report.ndjson"
STATE_FILE = ".medrec-transfer-state.json"
STRUCTURED_TYPE = "application/vnd.medrec.record+json"
STRUCTURED_FILE_LIMIT = 16 * 1024 * 1024  # larger structured or FHIR files: left to the service
_PLACEHOLDER_SHA256 = "0" * 64


class ExportError(Exception):
    """The export as a whole cannot be used (exit 2): no transfer.json, not readable, …"""


@dataclass(frozen=True)
class LineProblem:
    line: int
    external_id: str | None
    title: str
    errors: list[dict[str, str]] = field(default_factory=list)

    def as_report(self) -> dict[str, Any]:
        problem: dict[str, Any] = {"type": "invalid-line", "title": self.title, "status": 422}
        if self.errors:
            problem["errors"] = self.errors
        return {"line": self.line, "external_id": self.external_id, "problem": problem}

    def __str__(self) -> str:
        text = f"line {self.line} ({self.external_id or 'no external_id'}): {self.title}"
        if self.errors:
            text += " — " + "; ".join(f"{e['field']}: {e['message']}" for e in self.errors)
        return text


@dataclass(frozen=True)
class Line:
    """A valid line: where it is in records.ndjson, and what it sends."""

    number: int
    external_id: str
    offset: int
    length: int
    content_type: str
    size: int  # content bytes (decoded)
    file: Path | None = None  # content streamed from this file, else inline

    @property
    def inline(self) -> bool:
        return self.file is None


@dataclass
class Export:
    root: Path
    transfer: dict[str, Any]
    lines: list[Line]
    problems: list[LineProblem]

    @property
    def records_path(self) -> Path:
        return self.root / RECORDS_FILE

    @property
    def institution_code(self) -> str:
        return str(self.transfer["institution"]["code"])

    def read_line(self, line: Line, handle: Any) -> dict[str, Any]:
        handle.seek(line.offset)
        record: dict[str, Any] = json.loads(handle.read(line.length))
        return record


class Schemas:
    """The validators for transfer.json and a record line, from ingest's OpenAPI document."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        components = openapi.get("components", {}).get("schemas", {})
        for name in ("BatchLine", "TransferIn"):
            if name not in components:
                raise ExportError(f"the service's OpenAPI document has no {name} schema")

        def validator(ref: str) -> Draft202012Validator:
            schema = {"$ref": ref, "components": openapi["components"]}
            return Draft202012Validator(schema, format_checker=FormatChecker())

        self.line = validator("#/components/schemas/BatchLine")
        self.transfer = validator("#/components/schemas/TransferIn")
        # The structured record's form for each specialty (its discriminator's mapping).
        structured = components.get("StructuredRecord") or {}
        mapping = (structured.get("discriminator") or {}).get("mapping") or {}
        self.structured = {specialty: validator(ref) for specialty, ref in mapping.items()}
        self.structured_type = str(structured.get("x-media-type") or STRUCTURED_TYPE)

    def structured_errors(self, data: bytes, specialty: Any) -> list[dict[str, str]]:
        """A structured record's content against its specialty's form."""
        if not self.structured:
            return []
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return [{"field": "content", "message": "is not a JSON document"}]
        if not isinstance(document, dict):
            return [{"field": "content", "message": "must be a JSON object"}]
        if document.get("specialty") != specialty:
            return [
                {"field": "content.specialty", "message": "differs from the record's specialty"}
            ]
        form = self.structured.get(str(specialty))
        if form is None:
            return []
        errors = [
            {"field": "content" if e["field"] == "(line)" else f"content.{e['field']}",
             "message": e["message"]}
            for e in field_errors(form, document)
        ]  # fmt: skip
        return errors or bills.structured_errors(document)


def field_errors(validator: Draft202012Validator, instance: Any) -> list[dict[str, str]]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [_describe(e) for e in errors][:20]


def field_name(path: Any) -> str:
    """A location as ingest names it: a list's item by its index, `content.bills[0].total`."""
    name = ""
    for part in path:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def _describe(error: ValidationError) -> dict[str, str]:
    """A field and a message that do not repeat the refused value."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        deepest = max(error.context, key=lambda e: len(e.absolute_path))
        if len(deepest.absolute_path) > len(error.absolute_path):
            return _describe(deepest)
    where = field_name(error.absolute_path) or "(line)"
    rule, value = error.validator, error.validator_value
    if rule == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in value if name not in present]
        prefix = f"{where}." if error.absolute_path else ""
        return {"field": prefix + (missing[0] if missing else "?"), "message": "is required"}
    if rule == "additionalProperties":
        known = set((error.schema.get("properties") or {}).keys())
        extra = sorted(k for k in error.instance if k not in known)
        return {"field": where, "message": f"unknown field(s): {', '.join(extra)}"}
    messages = {
        "enum": lambda: "must be one of: " + ", ".join(str(v) for v in value),
        "const": lambda: f"must be {value}",
        "type": lambda: f"must be of type {value}",
        "format": lambda: f"must be a valid {value}",
        "pattern": lambda: "does not have the expected form",
        "maxLength": lambda: f"must be at most {value} characters",
        "minLength": lambda: f"must be at least {value} characters",
        "maximum": lambda: f"must be at most {value}",
        "minimum": lambda: f"must be at least {value}",
        "anyOf": lambda: "matches none of the allowed forms",
        "oneOf": lambda: "matches none of the allowed forms",
    }
    message = messages.get(str(rule), lambda: f"fails the {rule} rule")()
    return {"field": where, "message": message}


def load_transfer(root: Path, schemas: Schemas) -> dict[str, Any]:
    path = root / TRANSFER_FILE
    try:
        body = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ExportError(f"{path} is missing") from None
    except (OSError, ValueError) as error:
        raise ExportError(f"{path} is not readable JSON ({type(error).__name__})") from None
    errors = field_errors(schemas.transfer, body)
    if errors:
        listed = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise ExportError(f"{path} is not a valid transfer: {listed}")
    assert isinstance(body, dict)
    return body


def raw_lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, offset, bytes) of each non-blank line."""
    offset = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if raw.strip():
                yield number, offset, raw
            offset += len(raw)


def check_line(
    root: Path, number: int, offset: int, raw: bytes, schemas: Schemas
) -> Line | LineProblem:
    try:
        record = json.loads(raw)
    except ValueError:
        return LineProblem(number, None, "not a JSON object")
    if not isinstance(record, dict):
        return LineProblem(number, None, "not a JSON object")
    external_id = record.get("external_id")
    external_id = external_id if isinstance(external_id, str) else None
    content = record.get("content")
    file: Path | None = None
    size = 0
    checked = record
    file_errors: list[dict[str, str]] = []
    if isinstance(content, dict) and "file" in content:
        relative = content.get("file")
        declared = {k: v for k, v in content.items() if k != "file"}
        if not isinstance(relative, str) or not relative:
            file_errors.append({"field": "content.file", "message": "must be a relative path"})
        else:
            candidate = (root / relative).resolve()
            if Path(relative).is_absolute() or not candidate.is_relative_to(root.resolve()):
                file_errors.append(
                    {"field": "content.file", "message": "must be inside the export directory"}
                )
            elif not candidate.is_file():
                file_errors.append({"field": "content.file", "message": "no such file"})
            else:
                file, size = candidate, candidate.stat().st_size
        declared |= {"size": size, "sha256": _PLACEHOLDER_SHA256}
        checked = record | {"content": declared}
    elif isinstance(content, dict) and isinstance(content.get("data_base64"), str):
        try:
            data: bytes | None = base64.b64decode(content["data_base64"], validate=True)
            size = len(data or b"")
        except (binascii.Error, ValueError):
            data = None
            file_errors.append({"field": "content.data_base64", "message": "is not base64"})
    errors = field_errors(schemas.line, checked) + file_errors
    kind = _base_type(content)
    if not errors and kind in (schemas.structured_type, FHIR_JSON):
        if file is not None and size <= STRUCTURED_FILE_LIMIT:
            data = file.read_bytes()
        elif file is not None:
            data = None
        if data is not None and kind == FHIR_JSON:
            errors = bundle_errors(data, record.get("patient"))
        elif data is not None:
            errors = schemas.structured_errors(data, record.get("specialty"))
    if errors:
        return LineProblem(number, external_id, "invalid record", errors)
    assert external_id is not None and isinstance(content, dict)
    return Line(
        number=number,
        external_id=external_id,
        offset=offset,
        length=len(raw),
        content_type=str(content["content_type"]),
        size=size,
        file=file,
    )


def _base_type(content: Any) -> str:
    if not isinstance(content, dict):
        return ""
    return str(content.get("content_type", "")).split(";")[0].strip().lower()


def load_export(root: Path, openapi: dict[str, Any]) -> Export:
    """Reads and checks the whole export; raises ExportError when it cannot be used at all."""
    if not root.is_dir():
        raise ExportError(f"{root} is not a directory")
    schemas = Schemas(openapi)
    transfer = load_transfer(root, schemas)
    records = root / RECORDS_FILE
    if not records.is_file():
        raise ExportError(f"{records} is missing")
    lines: list[Line] = []
    problems: list[LineProblem] = []
    seen: dict[str, int] = {}
    try:
        for number, offset, raw in raw_lines(records):
            checked = check_line(root, number, offset, raw, schemas)
            if isinstance(checked, Line):
                first = seen.setdefault(checked.external_id, number)
                if first != number:
                    problems.append(
                        LineProblem(number, checked.external_id,
                                    f"external_id already used on line {first}")
                    )  # fmt: skip
                    continue
                lines.append(checked)
            else:
                problems.append(checked)
    except OSError as error:
        raise ExportError(f"{records} is not readable ({type(error).__name__})") from None
    return Export(root, transfer, lines, problems)
