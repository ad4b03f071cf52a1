"""Which service URLs the kit sends its client secret and records to: `https://` anywhere, plain
`http://` only to this machine (127.0.0.0/8, ::1, localhost: the local stack, or a tunnel whose
far end is encrypted). Anywhere else plain http would hand the secret, the tokens and every
record to whoever is on the path."""

import ipaddress
from urllib.parse import urlsplit

from medrec_transfer.errors import InsecureURL


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: only "localhost" is known to stay on this machine
        return False


def require_secure(url: str, what: str = "URL") -> str:
    """`url` when it is https, or http to loopback; else `InsecureURL` naming `what`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and host and is_loopback(host):
        return url
    raise InsecureURL(
        f"{what} must be https:// (plain http:// only to this machine: 127.0.0.1, ::1, "
        f"localhost), so that the client secret and the records are not sent in clear"
    )
