"""Catalog's rules without the stack: who may see a record, the one retention extension, the
directory's statuses, and the JSON shape of the paged lists."""

from medrec_shared.platform.pages import Page, page_of


def test_a_page_has_a_cursor_only_when_more_rows_were_found() -> None:
    def as_page(rows: list[int]) -> Page[int]:
        return page_of(rows, 2, lambda n: n, str)

    assert as_page([1, 2, 3]).model_dump() == {"items": [1, 2], "next_cursor": "2"}
    assert as_page([1, 2]).model_dump() == {"items": [1, 2], "next_cursor": None}
