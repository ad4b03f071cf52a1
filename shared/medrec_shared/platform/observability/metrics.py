"""The on-call metrics, defined once (a name, its type and its labels are a contract with the
alert rules and dashboards in deploy/observability/: change them together)."""

from prometheus_client import Counter, Gauge, Histogram

OUTBOX_UNSENT = Gauge(
    "medrec_outbox_unsent_events", "Events in the outbox not yet relayed to Kafka", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "medrec_outbox_oldest_unsent_age_seconds",
    "Age of the oldest event not yet relayed (0 when none waits)",
    ["service"],
)
DEAD_LETTERS_PARKED = Gauge(
    "medrec_dead_letters_parked", "Dead letters not resolved (parked or retry asked)", ["service"]
)
CONSUMER_LAG = Gauge(
    "medrec_consumer_lag",
    "Messages a consumer group has not committed yet, measured by the topic's producers",
    ["group", "topic", "partition"],
)
DEPENDENCY_UP = Gauge(
    "medrec_dependency_up", "1 when a dependency /readyz checks answers, else 0",
    ["service", "dependency"],
)  # fmt: skip
DB_POOL_CONNECTIONS = Gauge(
    "medrec_db_pool_connections", "Database pool connections by state", ["service", "state"]
)
DB_POOL_SIZE = Gauge("medrec_db_pool_size", "Database pool size (without overflow)", ["service"])
RATE_LIMIT_REFUSALS = Counter(
    "medrec_rate_limit_refusals_total", "Requests refused by a rate limit", ["limit"]
)
OBJECT_STORE_ERRORS = Counter(
    "medrec_object_store_errors_total", "Object-store operations that failed", ["operation"]
)
COPIES_WAITING = Gauge("medrec_copies_waiting", "Copies asked for and neither ready nor failed")
COPY_RENDER_SECONDS = Histogram(
    "medrec_copy_render_seconds",
    "Time to make one copy (fetch, render, sign, store)",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)
ISSUER_CERTIFICATE_EXPIRY = Gauge(
    "medrec_issuer_certificate_expiry_timestamp_seconds",
    "When the issuer's certificate expires (unix time)",
)
WORKER_HEARTBEAT = Gauge(
    "medrec_worker_heartbeat_timestamp_seconds",
    "Last time the worker's event loop ticked (unix time)",
    ["service"],
)
