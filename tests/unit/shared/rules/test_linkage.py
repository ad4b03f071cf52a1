"""Linkage without the stack: the normalisation rule and the match key (which ingest and identity
must compute alike, byte for byte), and catalog's linkage rules over a fake store: candidates in
both orders and once per pair, nothing linked automatically, final decisions, unlinking."""

import hashlib
import hmac
import unicodedata
from datetime import date

import pytest

from medrec_shared.rules.linkage import MatchKeys, canonical, match_key, normalise_name
from tests.support.builders import BORN, KEY


# -- the normalisation rule -------------------------------------------------------------------
@pytest.mark.parametrize(
    "written",
    [
        "유하늘",
        " 유 하늘 ",  # spaces around and inside
        "유\u3000하늘",  # the ideographic space
        "유\u200b하늘",  # a zero-width space
        "유\t하늘",
        unicodedata.normalize("NFD", "유하늘"),  # decomposed syllables
        "류하늘",  # the surname with its initial ㄹ (두음법칙)
        unicodedata.normalize("NFD", "류 하늘"),
    ],
)
def test_the_usual_ways_of_writing_a_name_compare_equal(written: str) -> None:
    assert normalise_name(written) == "유하늘"


def test_other_surname_variants_and_latin_names_fold() -> None:
    assert normalise_name("리순신") == normalise_name("이순신") == "이순신"
    assert normalise_name("림꺽정") == "임꺽정"
    assert normalise_name("라혜석") == "나혜석"
    assert normalise_name("로무현") == "노무현"
    assert normalise_name("ＪＯＨＮ  Smith") == "johnsmith"  # fullwidth letters, case
    assert normalise_name("마이클·잭슨") == "마이클잭슨"  # the middle dot of foreign names
    assert normalise_name("ﾡ") == normalise_name("ㄱ")  # halfwidth Hangul


def test_different_names_stay_different() -> None:
    assert normalise_name("유하늘") != normalise_name("유하눌")
    assert normalise_name("하늘유") != normalise_name("유하늘")  # only a first syllable folds
    assert normalise_name("김리나") == "김리나"


def test_the_hashed_value_and_its_key_do_not_change() -> None:
    """ingest and identity compare these across services and releases: known answers."""
    assert canonical("류 하늘", BORN, "female") == "유하늘\x1f1961-05-17\x1ffemale"
    assert match_key(KEY, "유하늘", BORN, "female") == (
        "970dd0425e0cd0bd23acb9615952f25ce05140412bd45e5050e35c745d63e77a"
    )
    derived = hmac.new(KEY, b"medrec.linkage.match-key.v1", hashlib.sha256).digest()
    expected = hmac.new(derived, "유하늘\x1f1961-05-17\x1ffemale".encode(), hashlib.sha256)
    assert match_key(KEY, "유하늘", BORN, "female") == expected.hexdigest()
    # not the RRN blind index's key, and not a plain hash of the demographics
    assert (
        match_key(KEY, "유하늘", BORN, "female")
        != hmac.new(KEY, "유하늘\x1f1961-05-17\x1ffemale".encode(), hashlib.sha256).hexdigest()
    )


def test_sex_and_birth_date_are_part_of_the_key_and_unknown_sex_has_its_own() -> None:
    keys = MatchKeys.of(KEY, "유하늘", BORN, "female")
    assert keys.with_sex == match_key(KEY, "류 하늘", BORN, "female")
    assert keys.any_sex == match_key(KEY, "유하늘", BORN, "unknown")
    assert keys.with_sex != match_key(KEY, "유하늘", BORN, "male")
    assert keys.with_sex != match_key(KEY, "유하늘", date(1961, 5, 18), "female")
