"""One shape for every paged list: `{items, next_cursor}`, read with keyset pagination. A
repository is asked for `limit + 1` rows; the extra row only says that another page exists."""

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
Row = TypeVar("Row")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def page_of(
    rows: Sequence[Row], limit: int, item: Callable[[Row], T], cursor: Callable[[Row], str]
) -> Page[T]:
    """The first `limit` of `rows` (fetched as `limit + 1`), and the cursor after the last one
    when there were more."""
    shown = rows[:limit]
    more = len(rows) > limit and bool(shown)
    return Page[T](items=[item(r) for r in shown], next_cursor=cursor(shown[-1]) if more else None)
