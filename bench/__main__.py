"""`make bench`: every figure beside its raw baseline from the same run, as a table and in
bench/results.json. Ratio = medrec / raw baseline; ingest's raw puts run before and after the
deposit paths and the streams twice each, interleaved, the faster run of each counting.

BENCH_ONLY picks one part: `deposits` (ingest's raw puts, bulk and single PUTs), `stream`
(the raw multipart upload and the streaming PUT, interleaved), `fhir` (an
ITI-65 bundle of 100 documents beside the same records through the batch request), `render` (the
certified copies, a 20-line receipt and a year's 납입확인서), `catalog` (the read paths at 1 M
records, and the registry) or `registry` (the registry's search at 100 k closures alone); the
other parts' figures already in bench/results.json are kept."""

import os
import time

from bench import catalog, fhir, ingest, render, results

ONLY = os.environ.get("BENCH_ONLY", "")
started = time.perf_counter()
figures = ingest.main() if ONLY in ("", "deposits", "stream") else []
if ONLY == "fhir":  # in a full run, ingest.main() measures it on its stack
    print("ITI-65 (MHD Provide Document Bundle) beside the batch request …", flush=True)
    figures += fhir.main()
if ONLY in ("", "render"):
    print("certified copies (issuance) …", flush=True)
    figures += render.run()
if ONLY in ("", "catalog"):
    print("catalog's read paths: a person's records and the directory …", flush=True)
    figures += catalog.main()
if ONLY == "registry":
    print("the registry's search at 100 k closures …", flush=True)
    figures += catalog.main_registry()
results.write(figures, keep_others=bool(ONLY))
print()
print("medrec benchmark — one run, one machine, the whole local stack on it")
print(results.table(figures))
print(
    f"\n(took {time.perf_counter() - started:.0f} s; written to {results.RESULTS}. Ingest "
    "figures are end to end through HTTP: authentication, validation, encryption, the database "
    "and the outbox included; catalog's rows are loaded by COPY, the requests go through HTTP "
    "with real citizens' tokens. See docs/performance.md.)"
)
missed = [f.name for f in figures if f.ok is False]
if missed:
    print(f"targets missed: {', '.join(missed)}")
