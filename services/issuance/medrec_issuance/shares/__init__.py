"""Sharing an issued document (제출): a link and a six-digit access code the citizen gives a
recipient they name (an insurer), opened without signing in, until it expires or is revoked."""
