"""The match key of records without an RRN (ARCHITECTURE.md, "Records without an RRN"): a keyed
hash of the normalised (name, birth date, sex). ingest announces it for an RRN-less record and
identity for a person who verifies; catalog proposes a linkage candidate where they meet. An
operator decides every link: equal keys are a proposal, never a proof (the same name and birth
date is common in Korea).

Both services must compute the key byte for byte alike, so the rule lives here, once, and
tests/unit/test_linkage_rules.py holds known answers. The key is derived from the person-index
secret that ingest and identity already share (HMAC with a purpose of its own, as identity derives
its other keys), so it is not the RRN blind index and no new secret has to be deployed. The key
is a hash: a name or a birth date never leaves the service that holds it sealed.

The normalised name (`normalise_name`):
1. NFKC: composes decomposed syllables (NFD input), and folds halfwidth Hangul (ﾡ), Hangul
   compatibility jamo and fullwidth Latin letters to their usual forms;
2. every separator, control and format character goes (spaces of any kind, the ideographic space,
   tabs, zero-width spaces and joiners), and so do punctuation marks (the middle dot of foreign
   names written in Hangul, hyphens, periods, apostrophes) and the Hangul fillers;
3. case folded (foreign residents' names in Latin letters), and NFC again;
4. the initial-sound rule (두음법칙) of surnames is folded: a first syllable
   리, 류, 림, 라, 로, 량, 려, 렴, 룡, 륙, 뢰 is read as
   이, 유, 임, 나, 노, 양, 여, 염, 용, 육, 뇌
   (李, 柳/劉, 林, 羅, 盧, 梁, 呂, 廉, 龍, 陸, 雷 are registered either way).
   Applied to every name's first syllable: a wrong fold only proposes a candidate that an
   operator rejects.

The hashed value is `name U+001F YYYY-MM-DD U+001F sex`. A record whose sex is `unknown` matches on
name and birth date alone: identity announces a person's key with their sex and the key with
`unknown` (`MatchKeys.any_sex`)."""

import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from datetime import date

from medrec_shared.platform.crypto import blind_index

PURPOSE = b"medrec.linkage.match-key.v1"
UNKNOWN_SEX = "unknown"
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
_DROPPED_CATEGORIES = ("Z", "C", "P")
# 두음법칙: the surname syllables registered both ways, folded to the form without ㄹ/ㄴ-initial.
SURNAME_VARIANTS = {
    "리": "이", "류": "유", "림": "임", "라": "나", "로": "노", "량": "양",
    "려": "여", "렴": "염", "룡": "용", "륙": "육", "뢰": "뇌",
}  # fmt: skip


def _dropped(ch: str) -> bool:
    return ch in _FILLERS or unicodedata.category(ch).startswith(_DROPPED_CATEGORIES)


def normalise_name(name: str) -> str:
    """The name as it is compared (see the module's docstring for the rule)."""
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", name) if not _dropped(ch))
    folded = unicodedata.normalize("NFC", folded.casefold())
    if folded and folded[0] in SURNAME_VARIANTS:
        folded = SURNAME_VARIANTS[folded[0]] + folded[1:]
    return folded


def canonical(name: str, birth_date: date, sex: str) -> str:
    """The exact string that is hashed."""
    return "\x1f".join((normalise_name(name), birth_date.isoformat(), sex))


def match_index_key(person_index_key: bytes) -> bytes:
    """The match key's own secret, derived from the shared person-index secret."""
    return hmac.new(person_index_key, PURPOSE, hashlib.sha256).digest()


def match_key(person_index_key: bytes, name: str, birth_date: date, sex: str) -> str:
    """Hex keyed hash of the normalised demographics (64 characters, like a person key)."""
    return blind_index(match_index_key(person_index_key), canonical(name, birth_date, sex))


@dataclass(frozen=True)
class MatchKeys:
    """What identity announces for a verified person: the key with their sex, and the key a
    record of unknown sex would carry."""

    with_sex: str
    any_sex: str

    @classmethod
    def of(cls, person_index_key: bytes, name: str, birth_date: date, sex: str) -> "MatchKeys":
        return cls(
            match_key(person_index_key, name, birth_date, sex),
            match_key(person_index_key, name, birth_date, UNKNOWN_SEX),
        )
