"""A record's FHIR content (``application/fhir+json``) is KR Core 2.0: the checks themselves
live in ``medrec_krcore`` (the transfer kit runs the same ones); here they meet the record's
bytes and its patient fields. Each problem is named ``content.<FHIRPath>``, as the transfer
API names every field of a refused record."""

from __future__ import annotations

import json
from datetime import date

from medrec_krcore import PatientClaim, Problem, check_bundle

CONTENT_FIELD = "content"


def claim_of(
    rrn: str | None, name: str | None, birth_date: date | None, sex: str | None
) -> PatientClaim:
    return PatientClaim(rrn=rrn, name=name, birth_date=birth_date, sex=sex)


def krcore_problems(data: bytes, claim: PatientClaim | None) -> list[tuple[str, str]]:
    """`(field, message)` for each KR Core problem of `data`; none when it is a valid bundle
    of the claimed patient. Not JSON at all is one problem at `content`."""
    try:
        bundle = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [(CONTENT_FIELD, "FHIR bundle is not valid JSON")]
    return [_named(problem) for problem in check_bundle(bundle, patient=claim)]


def _named(problem: Problem) -> tuple[str, str]:
    return f"{CONTENT_FIELD}.{problem.path}", problem.message
