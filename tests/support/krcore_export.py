"""The deliberately broken copy of `examples/export-krcore/`, for tests only: each record's KR
Core bundle spoiled in one way ingest refuses, and the field (`content.<FHIRPath>`) each is
refused at. The valid export comes from `medrec_transfer.sample_krcore`; this only spoils it."""

import base64
import json
from pathlib import Path
from typing import Any

from medrec_transfer.sample import patient
from medrec_transfer.sample_krcore import encode, write_export

# Entries of every sample bundle: 0 Patient, 1 Organization, 2 Encounter, 3 Condition, 4 …
WRONG_KCD = "content.Bundle.entry[3].resource.code.coding[0].system"
NO_IDENTIFIER = "content.Bundle.entry[0].resource.identifier"
DANGLING = "content.Bundle.entry[4].resource.encounter.reference"
NOT_THE_PATIENT = "content.Bundle.entry[0].resource.name"


def lines_of(root: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (root / "records.ndjson").read_text().splitlines() if x]


def bundle_of(root: Path, line: dict[str, Any]) -> dict[str, Any]:
    content = line["content"]
    if "file" in content:
        document: dict[str, Any] = json.loads((root / content["file"]).read_bytes())
    else:
        document = json.loads(base64.b64decode(content["data_base64"]))
    return document


def with_bundle(root: Path, line: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The line with its content replaced (a file rewritten in place, inline re-encoded)."""
    content = line["content"]
    if "file" in content:
        (root / content["file"]).write_bytes(encode(document))
        return line
    data = base64.b64encode(encode(document)).decode()
    return line | {"content": content | {"data_base64": data}}


def write_broken_export(root: Path, **export: Any) -> dict[str, str]:
    """The KR Core example under `root`, every line spoiled; the external_id of each line and
    the field it must be refused at: a wrong KCD system (의과), no Patient.identifier (치과), a
    dangling reference (한방, its file), and a bundle of another patient than the line's."""
    write_export(root, **export)
    medical, dental, korean = lines_of(root)
    wrong_kcd = bundle_of(root, medical)
    wrong_kcd["entry"][3]["resource"]["code"]["coding"][0]["system"] = (
        "http://hl7.org/fhir/sid/icd-10"
    )
    no_identifier = bundle_of(root, dental)
    del no_identifier["entry"][0]["resource"]["identifier"]
    dangling = bundle_of(root, korean)
    dangling["entry"][4]["resource"]["encounter"] = {
        "reference": "urn:uuid:00000000-0000-4000-8000-000000000000"
    }
    someone_else = medical | {"external_id": "KRC-MED-other", "patient": patient(299)}
    out = [
        with_bundle(root, medical, wrong_kcd),
        with_bundle(root, dental, no_identifier),
        with_bundle(root, korean, dangling),
        someone_else,
    ]
    (root / "records.ndjson").write_text(
        "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in out)
    )
    return {
        medical["external_id"]: WRONG_KCD,
        dental["external_id"]: NO_IDENTIFIER,
        korean["external_id"]: DANGLING,
        "KRC-MED-other": NOT_THE_PATIENT,
    }
