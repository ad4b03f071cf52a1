"""`make bench`: every figure beside its raw baseline from the same run, as a table and in
bench/results.json. Ratio = medrec / raw baseline; ingest's raw puts run before and after the
deposit paths and the streams twice each, interleaved, the faster run of each counting."""

import time

from bench import ingest, render, results

started = time.perf_counter()
figures = ingest.main()
if not ingest.ONLY:
    print("certified copies (issuance) …", flush=True)
    figures += render.run()
results.write(figures)
print()
print("medrec benchmark — one run, one machine, the whole local stack on it")
print(results.table(figures))
print(
    f"\n(took {time.perf_counter() - started:.0f} s; written to {results.RESULTS}. Ingest "
    "figures are end to end through HTTP: authentication, validation, encryption, the database "
    "and the outbox included. Not yet measured: my_records_p99_1m, directory_p99_100k — see "
    "docs/performance.md.)"
)
missed = [f.name for f in figures if f.ok is False]
if missed:
    print(f"targets missed: {', '.join(missed)}")
