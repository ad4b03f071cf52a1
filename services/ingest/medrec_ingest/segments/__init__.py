"""Segments: a batch group's records in one object (medrec_shared.crypto.segment), their
compaction and the sweep of segments nothing points into any more."""
