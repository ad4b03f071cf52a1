"""The platform: what any service is built on (database, web, HTTP, messaging,
Kafka, object storage, vault, crypto, logs, settings, rate limits, the worker). It never
imports the rules (import-linter, `make lint`)."""
