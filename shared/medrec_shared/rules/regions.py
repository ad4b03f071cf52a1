"""The regions (시·도) a health centre's staff are held to, and how a transfer's region, as its
institution deposited it (free text: "서울", "서울특별시", or the code itself), is found in one.

A health centre's account carries the region's code (the 행정표준코드 시·도 code, "11" for
Seoul); institutions write their region in words. A region is every spelling of it: the code,
its short name and its full name, old codes and names included (강원 and 전북 changed theirs)."""

# code: the names an institution may deposit for it (short name first)
REGION_NAMES: dict[str, tuple[str, ...]] = {
    "11": ("서울", "서울특별시", "서울시"),
    "26": ("부산", "부산광역시", "부산시"),
    "27": ("대구", "대구광역시", "대구시"),
    "28": ("인천", "인천광역시", "인천시"),
    "29": ("광주", "광주광역시", "광주시"),
    "30": ("대전", "대전광역시", "대전시"),
    "31": ("울산", "울산광역시", "울산시"),
    "36": ("세종", "세종특별자치시", "세종시"),
    "41": ("경기", "경기도"),
    "51": ("강원", "강원특별자치도", "강원도"),
    "43": ("충북", "충청북도"),
    "44": ("충남", "충청남도"),
    "52": ("전북", "전북특별자치도", "전라북도"),
    "46": ("전남", "전라남도"),
    "47": ("경북", "경상북도"),
    "48": ("경남", "경상남도"),
    "50": ("제주", "제주특별자치도", "제주도"),
}
_FORMER_CODES = {"42": "51", "45": "52"}


def region_code(region: str) -> str | None:
    """The code of a region given as a code (current or former) or a name; None if unknown."""
    region = region.strip()
    region = _FORMER_CODES.get(region, region)
    if region in REGION_NAMES:
        return region
    for code, names in REGION_NAMES.items():
        if region in names:
            return code
    return None


def spellings(region: str) -> frozenset[str]:
    """Every way a transfer may name `region` (a code or a name): its code, former code and
    names; a region unknown here is only itself."""
    code = region_code(region)
    if code is None:
        return frozenset({region.strip()})
    former = {old for old, new in _FORMER_CODES.items() if new == code}
    return frozenset({code, *former, *REGION_NAMES[code]})
