"""Certified copies: a citizen's (or guardian's) request, the worker that fulfils it, downloads,
and the purge of copies whose records were destroyed."""
