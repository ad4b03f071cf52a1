"""medrec-admin: what the people who run medrec do over its admin API, as a machine account (a
client holding some of medrec_shared.rules.staff.MACHINE_SCOPES, registered by a platform
person): institution clients, dead letters, sweeps, counts, transfers, the destruction log, and
the long jobs (key re-wrap, linkage backfill) followed to their end.

A package of its own, not part of the transfer kit (medrec_transfer): the kit is handed to EMR
vendors, and the operators' tool has no business in their hands. It borrows one thing from the
kit, the rule for where a client secret may be sent (medrec_transfer.urls)."""
