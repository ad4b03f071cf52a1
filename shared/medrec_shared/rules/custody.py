"""Who holds a closed or suspended clinic's records (DOMAIN.md, "Custody of every closed
clinic"): here, on the way here, its founder under a permit, its health centre, or nobody has
said yet. A citizen searching for their clinic reads the label and, when the records are not
here, who to ask."""

from enum import StrEnum
from typing import Final


class CustodyStatus(StrEnum):
    held = "held"  # records held here
    transferring = "transferring"  # a transfer is open
    founder = "founder"  # the founder keeps them under a permit (보관계획서)
    health_centre = "health_centre"  # the health centre holds them
    unknown = "unknown"  # nobody has said yet


CUSTODY_LABELS: Final[dict[CustodyStatus, str]] = {
    CustodyStatus.held: "보관 중",
    CustodyStatus.transferring: "이관 중",
    CustodyStatus.founder: "개설자 보관",
    CustodyStatus.health_centre: "보건소 보관",
    CustodyStatus.unknown: "미확인",
}

#: What staff may set; `held` and `transferring` follow from transfers, never typed in.
DECLARED: Final = frozenset(
    {CustodyStatus.founder, CustodyStatus.health_centre, CustodyStatus.unknown}
)
