"""The public authenticity check (진위확인)."""
