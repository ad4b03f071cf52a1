"""KR Core Condition as encounter diagnosis (krcore-condition-encounter-diagnosis): the category
`진단` of KR Core's condition categories (the profile's fixed EnctrDiag slice, 1..1), a code
from KCD-8 (required binding: a coding of the KCD-8 system, with its code), subject (R4 1..1)
and recordedDate (1..1). A chief complaint (category `주호소`) needs only its code."""

from __future__ import annotations

from typing import Any

from medrec_krcore.canonicals import (
    CHIEF_COMPLAINT_CATEGORY,
    CONDITION_CATEGORY_SYSTEM,
    DIAGNOSIS_CATEGORY,
    KCD8_SYSTEM,
)
from medrec_krcore.problems import Found, has_coding

PROFILE = "KR Core Condition for encounter diagnosis (krcore-condition-encounter-diagnosis)"
COMPLAINT_PROFILE = "KR Core Condition for chief complaint (krcore-condition-chief-complaint)"


def is_chief_complaint(resource: dict[str, Any]) -> bool:
    return has_coding(resource.get("category"), CONDITION_CATEGORY_SYSTEM, CHIEF_COMPLAINT_CATEGORY)


def check_condition(found: Found, resource: dict[str, Any], path: str) -> None:
    found.require(resource, path, "subject", PROFILE)
    if is_chief_complaint(resource):
        code = found.require(resource, path, "code", COMPLAINT_PROFILE)
        if code is not None:
            found.codings(code, f"{path}.code", COMPLAINT_PROFILE)
        return
    if not has_coding(resource.get("category"), CONDITION_CATEGORY_SYSTEM, DIAGNOSIS_CATEGORY):
        found.add(
            f"{path}.category",
            "must hold KR Core's condition category 진단 (krcore-condition-category-types), "
            f"fixed by {PROFILE}",
        )
    code = found.require(resource, path, "code", PROFILE)
    if code is not None:
        codings = found.codings(code, f"{path}.code", PROFILE)
        if codings and not any(c.get("system") == KCD8_SYSTEM for _, c in codings):
            found.add(f"{codings[0][0]}.system", f"must be KCD-8 ({KCD8_SYSTEM})")
    found.require(resource, path, "recordedDate", PROFILE)
