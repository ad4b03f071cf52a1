"""KR Core Organization (krcore-organization: name 1..1, each identifier with system and value)
as a healthcare organization (krcore-healthcare-organization: an identifier under HIRA's
요양기관기호 system, 1..*, eight digits), and Practitioner (krcore-practitioner: name 1..* with
its text)."""

from __future__ import annotations

import re
from typing import Any

from medrec_krcore.canonicals import HIRA_KRNPI_SYSTEM
from medrec_krcore.problems import Found, objects

ORGANIZATION = "KR Core Organization (krcore-organization)"
HEALTHCARE = "KR Core healthcare organization (krcore-healthcare-organization)"
PRACTITIONER = "KR Core Practitioner (krcore-practitioner)"
_HIRA_CODE = re.compile(r"^\d{8}$")


def check_organization(found: Found, resource: dict[str, Any], path: str) -> None:
    found.require(resource, path, "name", ORGANIZATION)
    hira = []
    for item_path, identifier in objects(resource.get("identifier"), f"{path}.identifier"):
        found.require(identifier, item_path, "system", ORGANIZATION)
        found.require(identifier, item_path, "value", ORGANIZATION)
        if identifier.get("system") == HIRA_KRNPI_SYSTEM:
            hira.append((item_path, identifier.get("value")))
    if not hira:
        found.add(f"{path}.identifier", f"must hold the 요양기관기호 ({HIRA_KRNPI_SYSTEM})")
    for item_path, value in hira:
        if isinstance(value, str) and value and not _HIRA_CODE.match(value):
            found.add(f"{item_path}.value", f"a 요양기관기호 is eight digits ({HEALTHCARE})")
    for item_path, concept in objects(resource.get("type"), f"{path}.type"):
        found.codings(concept, item_path, ORGANIZATION)


def check_practitioner(found: Found, resource: dict[str, Any], path: str) -> None:
    if found.require(resource, path, "name", PRACTITIONER) is not None:
        for item_path, name in objects(resource["name"], f"{path}.name"):
            found.require(name, item_path, "text", PRACTITIONER)
