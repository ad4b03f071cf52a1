"""KR Core Patient (krcore-patient): identifier, name (its text), gender and birthDate are
1..*/1..1; and the bundle's Patient is the record's patient."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from medrec_krcore.canonicals import RRN_SYSTEM
from medrec_krcore.problems import Found, PatientClaim, objects

PROFILE = "KR Core Patient (krcore-patient)"
GENDERS = frozenset({"male", "female", "other", "unknown"})
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def check_patient(found: Found, resource: dict[str, Any], path: str) -> None:
    if found.require(resource, path, "identifier", PROFILE) is not None:
        for item_path, identifier in objects(resource["identifier"], f"{path}.identifier"):
            found.require(identifier, item_path, "system", PROFILE)
            found.require(identifier, item_path, "value", PROFILE)
    if found.require(resource, path, "name", PROFILE) is not None:
        for item_path, name in objects(resource["name"], f"{path}.name"):
            found.require(name, item_path, "text", PROFILE)
    gender = found.require(resource, path, "gender", PROFILE)
    if gender is not None and gender not in GENDERS:
        found.add(f"{path}.gender", "must be one of: male, female, other, unknown")
    birth = found.require(resource, path, "birthDate", PROFILE)
    if birth is not None and not (isinstance(birth, str) and _DATE.match(birth)):
        found.add(f"{path}.birthDate", "must be a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)")


def match_claim(found: Found, resource: dict[str, Any], path: str, claim: PatientClaim) -> None:
    """The record's patient against the bundle's: each stated field that differs is a problem
    at the Patient's element (the message never says either value)."""
    if claim.rrn is not None:
        for item_path, identifier in objects(resource.get("identifier"), f"{path}.identifier"):
            value = identifier.get("value")
            if identifier.get("system") == RRN_SYSTEM and _digits(value) != _digits(claim.rrn):
                found.add(f"{item_path}.value", "is not the record's patient's RRN")
    if claim.name is not None and resource.get("name"):
        names = [_name_text(name) for _, name in objects(resource.get("name"), "")]
        if _squeezed(claim.name) not in {_squeezed(n) for n in names if n}:
            found.add(f"{path}.name", "is not the record's patient's name")
    birth = resource.get("birthDate")
    dated = claim.birth_date is not None and isinstance(birth, str) and _DATE.match(birth)
    if dated and not _same_day(birth, claim.birth_date):  # type: ignore[arg-type]
        found.add(f"{path}.birthDate", "is not the record's patient's birth date")
    gender = resource.get("gender")
    if claim.sex in ("male", "female") and gender in GENDERS and gender != claim.sex:
        found.add(f"{path}.gender", "is not the record's patient's sex")


def _digits(value: Any) -> str:
    return re.sub(r"\D", "", value) if isinstance(value, str) else ""


def _squeezed(name: str) -> str:
    return re.sub(r"\s+", "", name)


def _name_text(name: dict[str, Any]) -> str:
    """A HumanName as one string: its text, or family then given (Korean order)."""
    text = name.get("text")
    if isinstance(text, str) and text:
        return text
    given = name.get("given")
    parts = [name.get("family") or "", *(given if isinstance(given, list) else [])]
    return "".join(str(part) for part in parts)


def _same_day(birth: str, claimed: date) -> bool:
    """A partial date (YYYY, YYYY-MM) agrees with any day it contains."""
    return claimed.isoformat().startswith(birth)
