"""Segments: a batch group's records in one object (medrec_shared.platform.crypto.segment), their
compaction and the sweep of segments nothing points into any more."""
