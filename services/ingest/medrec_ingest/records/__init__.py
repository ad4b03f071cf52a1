"""A deposited record's life, stated once: which records ingest holds, the moves between its
statuses, and the key its events are published under (rules.py)."""
