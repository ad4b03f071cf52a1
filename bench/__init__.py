"""Benchmarks (`make bench`): the ingest paths against raw baselines on the same engines."""
