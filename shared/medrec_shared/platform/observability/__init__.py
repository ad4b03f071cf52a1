"""What on-call reads at night: the metrics that answer "is anything waiting, stuck or failing"
(CONTRACT31.md's table, docs/operations.md "Metrics"), the loops that refresh the gauges whose
truth lives in a database or the broker, and the worker's `/metrics` and `/healthz`.

Every label names a service, a route template, a limit, an operation, a group, a topic or a
partition: a bounded set fixed by the code, never a value a caller sent (an RRN, a name, a key)."""
