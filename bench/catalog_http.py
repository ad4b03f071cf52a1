"""Catalog's read paths over HTTP only: the same data as bench/catalog.py, COPY-loaded, asked by
the same verified citizens, without the raw-SQL twins. For code that does not have the
statements bench/catalog.py sends straight to PostgreSQL (an older commit, to measure "before"):

    git worktree add /tmp/before <commit>
    cp bench/{baselines,stack,catalog,catalog_data,catalog_http}.py /tmp/before/bench/
    cd /tmp/before && make install
    BENCH_CATALOG_REQUESTS=600 .venv/bin/python -m bench.catalog_http
"""

import asyncio
import json

import asyncpg

from bench import catalog, catalog_data
from bench.catalog import http_p99, verified_citizens
from bench.stack import database_dsn, running_cluster
from medrec_devstack.cluster import Cluster


async def measure(cluster: Cluster, citizens: list[tuple[str, str]]) -> dict[str, float]:
    dsn = database_dsn(cluster, "medrec_catalog")
    await catalog_data.load(dsn, "institutions", catalog_data.INSTITUTION_COLUMNS,
                            catalog_data.institutions(catalog.INSTITUTIONS))  # fmt: skip
    persons = catalog.SCALE // catalog_data.RECORDS_PER_PERSON
    keys = [key for _, key in citizens]
    rows = catalog_data.records(0, catalog.SCALE, persons, keys)
    await catalog_data.load(dsn, "records", catalog_data.RECORD_COLUMNS, rows)
    connection = await asyncpg.connect(dsn)
    try:  # every table, whichever this commit has (the held counts its triggers kept, say)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    url = cluster.url("catalog")
    tokens: list[str | None] = [token for token, _ in citizens]
    paths = [f"/v1/institutions?q={q}" for q in catalog_data.QUERIES]
    figures = {}
    for clients in (catalog.CLIENTS, 1):
        named = "" if clients == catalog.CLIENTS else f"_{clients}_client"
        figures[f"my_records_p99_1m{named}"] = await http_p99(
            url, ["/v1/me/records"], tokens, clients
        )
        figures[f"directory_p99_100k{named}"] = await http_p99(url, paths, [None], clients)
    return figures


if __name__ == "__main__":
    with running_cluster() as cluster:
        citizens = verified_citizens(cluster, catalog.CITIZENS)
        print(json.dumps(asyncio.run(measure(cluster, citizens)), indent=2))
