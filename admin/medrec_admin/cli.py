"""`medrec-admin`: the operators' acts over medrec's admin API, as a machine account.

    medrec-admin clients register --name N [--institution CODE …] [--scope S …]
    medrec-admin clients list | clients revoke CLIENT_ID
    medrec-admin dead-letters list [--service S] [--status parked|retrying|retried]
    medrec-admin dead-letters retry --service S ENTRY_ID
    medrec-admin retention sweep | releases sweep | segments sweep
    medrec-admin stats | transfers [--region R] [--status S] | destructions [--institution CODE]
    medrec-admin keys rewrap [--batch-size N] [--no-wait] | keys jobs | keys job JOB_ID
    medrec-admin linkage backfill [--batch-size N] [--no-wait] | linkage jobs | linkage job JOB_ID

Each prints a table, or the service's JSON answer with `--json`. The long jobs run in the service
(ingest); the command follows one to its end with a progress bar on a terminal, plain lines
otherwise (stderr), and stopping the command does not stop the job (`… job JOB_ID` follows it
again).

Credentials: the machine account's client id (MEDREC_CLIENT_ID or --client-id) and secret
(MEDREC_CLIENT_SECRET or --client-secret-file; never on the command line, where the process list
and the shell history would show it). Service URLs must be https:// (plain http:// only to this
machine, or to a cluster Service by its full name, …svc.cluster.local, from an operators' job in
the cluster); the defaults are the local stack's.

Exit codes: 0 done; 1 a job ended without finishing (incomplete, failed, interrupted: run it
again); 2 bad arguments, credentials refused, or the service refused the act (its problem is
printed); 3 a service did not answer."""

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from medrec_admin.client import (
    CONSUMERS,
    LOCAL_URLS,
    SERVICES,
    AdminClient,
    AdminProblem,
    Credentials,
    CredentialsRefused,
    Service,
)
from medrec_admin.progress import display_for, follow
from medrec_transfer.errors import InsecureURL

PROG = "medrec-admin"
OK, UNFINISHED, REFUSED, UNREACHABLE = 0, 1, 2, 3
SECRET_ENV = "MEDREC_CLIENT_SECRET"  # noqa: S105 - the variable's name
JOB_ROUTES = {"keys": "key-jobs", "linkage": "linkage-jobs"}


class Failure(Exception):
    def __init__(self, message: str, code: int = REFUSED) -> None:
        super().__init__(message)
        self.code = code


# -- output ---------------------------------------------------------------------------------
def _console() -> Console:
    # Off a terminal (a pipe, a log) rows are not cut to 80 columns.
    return Console() if sys.stdout.isatty() else Console(width=200, no_color=True)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items()) or "-"
    return str(value)


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None = None) -> None:
    shown = Table(*columns, title=title, show_lines=False)
    for row in rows:
        shown.add_row(*(_cell(row.get(column)) for column in columns))
    _console().print(shown)


def pairs(body: dict[str, Any], title: str | None = None) -> None:
    """A one-object answer as a two-column table."""
    table([{"field": k, "value": v} for k, v in body.items()], ["field", "value"], title)


def emit(args: argparse.Namespace, body: Any, render: Callable[[], None]) -> None:
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2, default=str))
    else:
        render()


def _more(body: dict[str, Any]) -> None:
    if body.get("next_cursor"):
        print(f"more: --cursor {body['next_cursor']}", file=sys.stderr)


# -- commands -------------------------------------------------------------------------------
CLIENT_COLUMNS = ["client_id", "name", "institution_codes", "scopes", "created_at"]


def clients_register(client: AdminClient, args: argparse.Namespace) -> int:
    created = client.register_client(args.name, args.institution, args.scope or ["transfer:write"])

    def render() -> None:
        table([created], CLIENT_COLUMNS, "registered")
        # The one time the secret is shown: identity keeps only its hash.
        print(f"client_secret={created['client_secret']}")
        print("(shown once: identity keeps only its hash; hand it to the institution now)")

    emit(args, created, render)
    return OK


def clients_list(client: AdminClient, args: argparse.Namespace) -> int:
    found = client.list_clients()
    emit(args, found, lambda: table(found.get("items", []), CLIENT_COLUMNS))
    return OK


def clients_revoke(client: AdminClient, args: argparse.Namespace) -> int:
    client.revoke_client(args.revoked)
    emit(args, {"revoked": args.revoked}, lambda: print(f"revoked {args.revoked}"))
    return OK


DEAD_LETTER_COLUMNS = ["service", "id", "consumer", "topic", "event_type", "status", "error"]


def dead_letters_list(client: AdminClient, args: argparse.Namespace) -> int:
    services: Sequence[Service] = [args.service] if args.service else CONSUMERS
    found = {s: client.dead_letters(s, args.status, args.limit, args.cursor) for s in services}
    rows = [{"service": s, **entry} for s, page in found.items() for entry in page["items"]]

    def render() -> None:
        table(rows, DEAD_LETTER_COLUMNS)
        for s, page in found.items():
            if page.get("next_cursor"):
                print(f"more in {s}: --service {s} --cursor {page['next_cursor']}", file=sys.stderr)

    emit(args, found, render)
    return OK


def dead_letters_retry(client: AdminClient, args: argparse.Namespace) -> int:
    entry = client.retry_dead_letter(args.service, args.entry_id)
    emit(args, entry, lambda: pairs(entry, "retry asked (the worker runs it)"))
    return OK


def sweep(which: str) -> Callable[[AdminClient, argparse.Namespace], int]:
    def run(client: AdminClient, args: argparse.Namespace) -> int:
        done = client.sweep(which)  # type: ignore[arg-type]
        emit(args, done, lambda: pairs(done, f"{which} sweep"))
        return OK

    return run


def stats(client: AdminClient, args: argparse.Namespace) -> int:
    found = client.stats()
    emit(args, found, lambda: pairs(found, "stats"))
    return OK


TRANSFER_COLUMNS = ["transfer_id", "institution", "status", "reason", "counts", "opened_at"]


def transfers(client: AdminClient, args: argparse.Namespace) -> int:
    params = {"region": args.region, "status": args.status, "limit": args.limit,
              "cursor": args.cursor}  # fmt: skip
    found = client.transfers({k: v for k, v in params.items() if v is not None})

    def render() -> None:
        rows = [
            t | {"institution": f"{t['institution'].get('code')} {t['institution'].get('name')}"}
            if isinstance(t.get("institution"), dict) else t
            for t in found.get("items", [])
        ]  # fmt: skip
        table(rows, TRANSFER_COLUMNS)
        _more(found)

    emit(args, found, render)
    return OK


DESTRUCTION_COLUMNS = ["record_id", "institution_code", "kind", "reason", "destroyed_at"]


def destructions(client: AdminClient, args: argparse.Namespace) -> int:
    params = {"institution": args.institution, "limit": args.limit, "cursor": args.cursor}
    found = client.destructions({k: v for k, v in params.items() if v is not None})

    def render() -> None:
        table(found.get("items", []), DESTRUCTION_COLUMNS)
        _more(found)

    emit(args, found, render)
    return OK


JOB_COLUMNS = ["job_id", "kind", "status", "done", "total", "started_by", "started_at"]


def _ended(job: dict[str, Any]) -> int:
    if job["status"] == "completed":
        return OK
    advice = {
        "incomplete": "rows are left (unreadable, or locked by a writer): see the counts, and "
        "run it again",
        "interrupted": "its process stopped: run it again, it carries on",
        "failed": "see the service's log for this job id, then run it again",
    }
    print(f"{PROG}: the job ended {job['status']}: {advice.get(job['status'], '')}",
          file=sys.stderr)  # fmt: skip
    return UNFINISHED


def _follow(client: AdminClient, args: argparse.Namespace, route: str, job_id: str) -> int:
    try:
        job = follow(lambda: client.job(route, job_id), display_for(sys.stderr))
    except KeyboardInterrupt:
        print(f"{PROG}: the job goes on in the service; follow it again with "
              f"`{PROG} {args.group} job {job_id}`", file=sys.stderr)  # fmt: skip
        return 130
    emit(args, job, lambda: pairs(job, "job"))
    return _ended(job)


def job_start(client: AdminClient, args: argparse.Namespace) -> int:
    route = JOB_ROUTES[args.group]
    started = client.start_job(route, args.batch_size)
    if args.no_wait:
        emit(args, started, lambda: pairs(started, "started"))
        return OK
    print(f"started {started['kind']} {started['job_id']}: {started['total']} rows to go through",
          file=sys.stderr)  # fmt: skip
    return _follow(client, args, route, str(started["job_id"]))


def job_follow(client: AdminClient, args: argparse.Namespace) -> int:
    return _follow(client, args, JOB_ROUTES[args.group], args.job_id)


def job_list(client: AdminClient, args: argparse.Namespace) -> int:
    found = client.jobs(JOB_ROUTES[args.group])
    emit(args, found, lambda: table(found.get("items", []), JOB_COLUMNS))
    return OK


# -- arguments ------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="medrec's admin acts as a machine account (see docs/operations.md).",
        epilog=f"The secret: {SECRET_ENV} or --client-secret-file. URLs must be https:// (plain "
        "http:// only to 127.0.0.1, ::1 or localhost).",
    )
    parser.add_argument("--json", action="store_true", help="print the service's JSON answer")
    parser.add_argument(
        "--client-id", default=os.environ.get("MEDREC_CLIENT_ID"),
        help="the machine account's client id (default: MEDREC_CLIENT_ID)",
    )  # fmt: skip
    parser.add_argument(
        "--client-secret-file", type=Path, metavar="PATH",
        help=f"read the client secret from this file (its first line); else {SECRET_ENV}",
    )  # fmt: skip
    for service in SERVICES:
        env = f"MEDREC_{service.upper()}_URL"
        parser.add_argument(
            f"--{service}-url", default=os.environ.get(env, LOCAL_URLS[service]),
            help=f"{service}'s base URL (default: {env}, else {LOCAL_URLS[service]})",
        )  # fmt: skip
    groups = parser.add_subparsers(dest="group", required=True)

    def paged(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--limit", type=int, default=50, help="rows per page (default 50)")
        sub.add_argument("--cursor", help="the page after this cursor (printed under a table)")

    clients = groups.add_parser("clients", help="institution clients").add_subparsers(
        dest="act", required=True
    )
    register = clients.add_parser("register", help="register one (its secret printed once)")
    register.add_argument("--name", required=True)
    register.add_argument("--institution", action="append", default=[], metavar="CODE",
                          help="an institution code it may deposit for (repeat)")  # fmt: skip
    register.add_argument("--scope", action="append", metavar="SCOPE",
                          help="a scope (repeat; default transfer:write)")  # fmt: skip
    register.set_defaults(run=clients_register)
    clients.add_parser("list", help="every client").set_defaults(run=clients_list)
    revoke = clients.add_parser("revoke", help="revoke one: its tokens stop working")
    revoke.add_argument("revoked", metavar="CLIENT_ID")  # not `client_id`: that is ours
    revoke.set_defaults(run=clients_revoke)

    letters = groups.add_parser("dead-letters", help="events a worker parked").add_subparsers(
        dest="act", required=True
    )
    listed = letters.add_parser("list", help="parked events, per service")
    listed.add_argument("--service", choices=CONSUMERS, help="one service (default: all)")
    listed.add_argument("--status", default="parked", choices=["parked", "retrying", "retried"])
    paged(listed)
    listed.set_defaults(run=dead_letters_list)
    retry = letters.add_parser("retry", help="ask the worker to run one again")
    retry.add_argument("--service", choices=CONSUMERS, required=True)
    retry.add_argument("entry_id", type=int)
    retry.set_defaults(run=dead_letters_retry)

    for which, text in (("retention", "catalog's retention sweep"),
                        ("releases", "ingest's release sweep"),
                        ("segments", "ingest's segment compaction and sweep")):  # fmt: skip
        group = groups.add_parser(which, help=text).add_subparsers(dest="act", required=True)
        group.add_parser("sweep", help=f"run {text} now").set_defaults(run=sweep(which))

    groups.add_parser("stats", help="the service's counts").set_defaults(run=stats)
    listed_transfers = groups.add_parser("transfers", help="transfers, by region and status")
    listed_transfers.add_argument("--region")
    listed_transfers.add_argument("--status")
    paged(listed_transfers)
    listed_transfers.set_defaults(run=transfers)
    destroyed = groups.add_parser("destructions", help="the destruction log")
    destroyed.add_argument("--institution", metavar="CODE")
    paged(destroyed)
    destroyed.set_defaults(run=destructions)

    for group_name, job_text in (("keys", "the key re-wrap (after a KEK is activated)"),
                                 ("linkage", "the linkage backfill")):  # fmt: skip
        group = groups.add_parser(group_name, help=job_text).add_subparsers(
            dest="act", required=True
        )
        start = group.add_parser(
            "rewrap" if group_name == "keys" else "backfill", help=f"start {job_text}"
        )
        start.add_argument("--batch-size", type=int, help="rows per transaction (1-5000)")
        start.add_argument("--no-wait", action="store_true", help="start it and print its id")
        start.set_defaults(run=job_start)
        one = group.add_parser("job", help="follow one job to its end")
        one.add_argument("job_id")
        one.set_defaults(run=job_follow)
        group.add_parser("jobs", help="the latest jobs").set_defaults(run=job_list)
    _json_everywhere(parser)
    return parser


def _json_everywhere(parser: argparse.ArgumentParser) -> None:
    """`--json` after the command too (`medrec-admin clients list --json`), as people type it."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if not any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
                    sub.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                                     help="print the service's JSON answer")  # fmt: skip
                _json_everywhere(sub)


def _secret(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    if args.client_secret_file is None:
        return os.environ.get(SECRET_ENV)
    try:
        lines = args.client_secret_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        parser.error(f"--client-secret-file could not be read ({type(error).__name__})")
    return lines[0].strip() if lines else None


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    secret = _secret(parser, args)
    if not args.client_id or not secret:
        parser.error(f"a client id (MEDREC_CLIENT_ID or --client-id) and its secret ({SECRET_ENV}"
                     " or --client-secret-file) are required")  # fmt: skip
    urls = {service: getattr(args, f"{service}_url") for service in SERVICES}
    try:
        with AdminClient(urls, Credentials(args.client_id, secret)) as client:
            code = args.run(client, args)
    except InsecureURL as refused:
        parser.error(str(refused))
    except CredentialsRefused as refused:
        print(f"{PROG}: identity refused the client id and secret ({refused})", file=sys.stderr)
        code = REFUSED
    except AdminProblem as problem:
        print(f"{PROG}: refused: {problem}", file=sys.stderr)
        code = UNREACHABLE if problem.status >= 500 else REFUSED
    except httpx.HTTPError as error:
        print(f"{PROG}: a service did not answer ({type(error).__name__})", file=sys.stderr)
        code = UNREACHABLE
    sys.exit(code)
