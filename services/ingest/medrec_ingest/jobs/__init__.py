"""Long admin jobs run in the service: the key re-wrap and the linkage backfill, started over the
admin API (medrec-admin, the console) rather than by a command run against the database.

A job is started in one short transaction (its row, and the StaffActed naming who started it),
then runs in the API process that took the request, batch by batch, each batch a transaction of
its own; its progress (done of total) is written after every batch, so any replica answers for
it. At most one job of a kind runs at a time; one whose process stopped (a restart, a crash)
reads back as `interrupted`, and the next start takes over: the jobs only move what is left, so
running one again is always safe."""
