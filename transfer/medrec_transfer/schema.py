"""The schemas the kit checks an export against, carried in the package (`ingest-schemas.json`):
ingest's `TransferIn` (transfer.json), `BatchLine` (a line of records.ndjson) and
`StructuredRecord` (structured content, one form per specialty), with every schema they refer
to, exactly as ingest's OpenAPI document publishes them.

Carried, not fetched: `medrec-transfer validate` works offline, and a push needs nothing of the
service beyond its `/v1` API (what the production ingress routes). The service stays the judge: a
line it refuses is reported all the same. tests/integration/ingest/test_openapi.py checks that
the copy equals what ingest serves; refresh it with
`python -m medrec_transfer.schema [INGEST_URL]` (default: the local stack's ingest)."""

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

SCHEMA_FILE = "ingest-schemas.json"
ROOTS = ("TransferIn", "BatchLine", "StructuredRecord")
_PREFIX = "#/components/schemas/"


def _references(node: Any) -> set[str]:
    """Names of the component schemas `node` points at: `$ref`s and a discriminator's mapping."""
    if isinstance(node, dict):
        return {name for value in node.values() for name in _references(value)}
    if isinstance(node, list):
        return {name for value in node for name in _references(value)}
    if isinstance(node, str) and node.startswith(_PREFIX):
        return {node.removeprefix(_PREFIX)}
    return set()


def extract(openapi: dict[str, Any]) -> dict[str, Any]:
    """The part of ingest's OpenAPI document the kit checks with: the roots and what they refer
    to, shaped as an OpenAPI document (`components.schemas`)."""
    schemas: dict[str, Any] = openapi.get("components", {}).get("schemas", {})
    wanted, seen = [name for name in ROOTS if name in schemas], set()
    while wanted:
        name = wanted.pop()
        if name not in seen:
            seen.add(name)
            wanted += [ref for ref in _references(schemas[name]) if ref in schemas]
    return {"components": {"schemas": {name: schemas[name] for name in sorted(seen)}}}


def carried() -> dict[str, Any]:
    """The schemas this version of the kit carries (see the module's docstring)."""
    text = resources.files("medrec_transfer").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Rewrites the carried copy from a running ingest's OpenAPI document."""
    args = sys.argv[1:] if argv is None else argv
    ingest_url = args[0] if args else "http://127.0.0.1:8002"
    response = httpx.get(f"{ingest_url.rstrip('/')}/openapi.json", timeout=30)
    response.raise_for_status()
    target = Path(__file__).with_name(SCHEMA_FILE)
    target.write_text(render(extract(response.json())), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
