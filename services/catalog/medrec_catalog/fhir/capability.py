"""catalog's FHIR base as its CapabilityStatement says it: built from what the `fhir/` package
registers here, so the statement cannot promise an interaction no route serves (a route added to
the base, `$everything` for one, registers itself beside the others)."""

from dataclasses import dataclass, field
from typing import Any, Final

from medrec_shared.platform.fhir import FHIR_JSON, FHIR_XML


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR's search-param-type: token, date, reference...
    documentation: str


@dataclass(frozen=True)
class ResourceSupport:
    """What catalog serves of one resource type."""

    type: str
    interactions: tuple[str, ...]  # FHIR's type-restful-interaction codes
    documentation: str
    profiles: tuple[str, ...] = ()
    search_params: tuple[SearchParam, ...] = ()
    operations: tuple[tuple[str, str], ...] = ()  # (name, OperationDefinition canonical)


@dataclass
class CapabilityRegistry:
    resources: list[ResourceSupport] = field(default_factory=list)

    def add(self, support: ResourceSupport) -> None:
        self.resources = [r for r in self.resources if r.type != support.type] + [support]


#: catalog's base: every module of `fhir/` adds what it serves when it is imported
CATALOG_BASE: Final = CapabilityRegistry()


def capability_statement(registry: CapabilityRegistry, *, date: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "medrec",
        "kind": "instance",
        "implementation": {
            "description": "medrec catalog: a person's records (IHE MHD "
            "Document Responder, ITI-67 and ITI-68; and $everything as KR Core)"
        },
        "fhirVersion": "4.0.1",
        "format": [FHIR_JSON, FHIR_XML],
        "instantiates": [
            "https://profiles.ihe.net/ITI/MHD/CapabilityStatement/IHE.MHD.DocumentResponder"
        ],
        "rest": [
            {
                "mode": "server",
                "documentation": "A citizen's token (records:read), or a guardian's acting for a "
                "child: only the token subject's own records are found or retrieved.",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ]
                },
                "resource": [_resource(r) for r in registry.resources],
            }
        ],
    }


def _resource(support: ResourceSupport) -> dict[str, Any]:
    out: dict[str, Any] = {"type": support.type}
    if support.profiles:
        out["supportedProfile"] = list(support.profiles)
    out["documentation"] = support.documentation
    if support.interactions:  # FHIR has no empty arrays: $everything's Patient has none
        out["interaction"] = [{"code": code} for code in support.interactions]
    if support.search_params:
        out["searchParam"] = [
            {"name": p.name, "type": p.type, "documentation": p.documentation}
            for p in support.search_params
        ]
    if support.operations:
        out["operation"] = [{"name": n, "definition": d} for n, d in support.operations]
    return out
