"""Tests from tests/unit/test_small_rules.py, split by domain."""

import pytest

from medrec_issuance.issuances.service import mask_name


@pytest.mark.parametrize(
    ("name", "masked"), [("홍길동", "홍*동"), ("김수", "김*"), ("남궁민수", "남**수"), ("이", "*")]
)
def test_names_are_masked_as_on_korean_certificates(name: str, masked: str) -> None:
    assert mask_name(name) == masked
