"""What medrec emits or takes as FHIR, parsed by an independent R4 library: the SMART client's
models (fhirclient, generated from FHIR 4.0.1), strict about unknown elements and wrong types
(they raise `FHIRValidationError`)."""

from typing import Any

from fhirclient.models import fhirelementfactory


def parses_as_r4(resource: dict[str, Any]) -> Any:
    """The resource (a Bundle or any other) as fhirclient's model of its resourceType, strictly:
    raises when fhirclient finds an element R4 does not have or a value of the wrong type."""
    model = fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], None)
    return type(model)(resource, strict=True)
