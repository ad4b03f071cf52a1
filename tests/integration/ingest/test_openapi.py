"""The transfer API's contract is its OpenAPI document: every endpoint, the bodies read as
streams, and the versioned structured record schema, also served on its own."""

import json
from typing import Any

import httpx
import jsonschema
import pytest

from medrec_devstack.cluster import Cluster
from medrec_transfer.schema import carried, extract
from tests.support import bills
from tests.support.builders import structured

PATHS = {
    "/v1/transfers": {"get", "post"},
    "/v1/transfers/{transfer_id}": {"get"},
    "/v1/transfers/{transfer_id}/records/{external_id}": {"put"},
    "/v1/transfers/{transfer_id}/records/{external_id}/content": {"put"},
    "/v1/transfers/{transfer_id}/records:batch": {"post"},
    "/v1/transfers/{transfer_id}/complete": {"post"},
    "/v1/schemas/record": {"get"},
}


@pytest.fixture(scope="module")
def document(cluster: Cluster) -> dict[str, Any]:
    response = httpx.get(f"{cluster.url('ingest')}/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_every_ingest_endpoint_is_documented(document: dict[str, Any]) -> None:
    for path, methods in PATHS.items():
        assert methods <= set(document["paths"][path]), path
    put = document["paths"]["/v1/transfers/{transfer_id}/records/{external_id}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RecordIn"
    }
    batch = document["paths"]["/v1/transfers/{transfer_id}/records:batch"]["post"]
    assert "application/x-ndjson" in batch["requestBody"]["content"]
    assert "application/x-ndjson" in batch["responses"]["200"]["content"]
    content = document["paths"]["/v1/transfers/{transfer_id}/records/{external_id}/content"]
    assert "Content-Digest" in json.dumps(content)
    components = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.removeprefix("#/components/schemas/") in components, ref


def test_the_structured_record_schema_is_published(
    cluster: Cluster, document: dict[str, Any]
) -> None:
    components = document["components"]["schemas"]
    published = components["StructuredRecord"]
    assert published["x-schema-version"] == "2"
    assert published["x-schema-versions"] == ["1", "2"]
    assert any(example["schema_version"] == "2" for example in published["examples"])
    assert published["x-media-type"] == "application/vnd.medrec.record+json"
    assert {"MedicalRecord", "DentalRecord", "KoreanMedicineRecord", "ToothEntry",
            "HerbalFormula"} <= set(components)  # fmt: skip

    response = httpx.get(f"{cluster.url('ingest')}/v1/schemas/record")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    jsonschema.validate(json.loads(structured()), schema)
    jsonschema.validate(json.loads(structured("dental", tooth_chart=[{"tooth": 36}])), schema)
    v2 = bills.record("korean_medicine", admissions=[bills.ADMISSION], bills=[bills.KM_BILL])
    jsonschema.validate(v2, schema)
    for example in schema["examples"]:
        jsonschema.validate(example, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(structured(hobby="x")), schema)


def test_the_transfer_kit_carries_the_schemas_ingest_serves(document: dict[str, Any]) -> None:
    # On a difference: `python -m medrec_transfer.schema URL` (a running ingest) rewrites the copy.
    assert carried() == extract(document)
    assert {"TransferIn", "BatchLine", "StructuredRecord"} <= set(
        carried()["components"]["schemas"]
    )
