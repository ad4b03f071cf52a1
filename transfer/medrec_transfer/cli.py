"""`medrec-transfer`: push an export directory into medrec's transfer API, see what the service
holds for it, or check it locally.

Exit codes (API.md, "Front doors"): 0 everything stored (and, with --complete, completed and its
receipt saved as EXPORT_DIR/medrec-receipt.pdf; with --complete-with-missing, completed even with
lines left out, which are listed); 1 some lines invalid (reported in
EXPORT_DIR/medrec-report.ndjson), the rest stored, and with --complete the transfer left open
(what is missing and how to fix it are said); 2 bad arguments, credentials or export; 3 the
service stayed unreachable, or the receipt was not ready in time (run the same command again
later: it carries on where it stopped).

Secrets and transport: the client secret is read from MEDREC_CLIENT_SECRET or from a file
(--client-secret-file); --client-secret still works (API.md names it) but warns, since the
process list and the shell history show it. Service URLs must be https://, plain http:// only to
this machine (loopback): anything else is refused with exit 2 before a byte is sent. The export
is checked against the schemas the kit carries (medrec_transfer.schema), so `validate` needs no
network at all."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from medrec_transfer.client import AsyncTransferClient
from medrec_transfer.errors import (
    CredentialsError,
    InsecureURL,
    ProblemError,
    RateLimited,
    ServerError,
    ServiceUnavailable,
)
from medrec_transfer.export import REPORT_FILE, Export, ExportError, load_export
from medrec_transfer.progress import Reporter, reporter_for
from medrec_transfer.push import RECEIPT_FILE, Outcome, Push, PushAborted
from medrec_transfer.schema import carried
from medrec_transfer.urls import require_secure

OK, SOME_INVALID, UNUSABLE, UNREACHABLE = 0, 1, 2, 3
PROG = "medrec-transfer"
SECRET_ENV = "MEDREC_CLIENT_SECRET"  # noqa: S105 - the variable's name
URLS_HELP = "https:// (plain http:// only to 127.0.0.1, ::1 or localhost)"
SECRET_ON_COMMAND_LINE = (
    f"{PROG}: warning: --client-secret is visible to other users in the process list and stays "
    f"in your shell history; give it as {SECRET_ENV} or --client-secret-file instead"
)


class Failure(Exception):
    def __init__(self, message: str, code: int = UNUSABLE) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Move a closing clinic's records into medrec through its transfer API.",
        epilog=f"The client secret: {SECRET_ENV} or --client-secret-file (--client-secret works "
        "but shows the secret in the process list and shell history). Service URLs must be "
        f"{URLS_HELP}; others are refused (exit 2). See docs/transfer-kit.md.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def connection(sub: argparse.ArgumentParser, credentials: bool) -> None:
        sub.add_argument("export_dir", metavar="EXPORT_DIR", type=Path)
        sub.add_argument(
            "--ingest-url",
            default=os.environ.get("MEDREC_INGEST_URL", "http://127.0.0.1:8002"),
            help=f"ingest's base URL, {URLS_HELP} (default: MEDREC_INGEST_URL, else the local "
            "stack's)" + ("; not used: validate checks locally" if not credentials else ""),
        )
        if credentials:
            sub.add_argument(
                "--identity-url",
                default=os.environ.get("MEDREC_IDENTITY_URL", "http://127.0.0.1:8001"),
                help=f"identity's base URL, {URLS_HELP} (default: MEDREC_IDENTITY_URL, else "
                "the local stack's)",
            )
            sub.add_argument(
                "--client-id", default=os.environ.get("MEDREC_CLIENT_ID"),
                help="the institution client's id (default: MEDREC_CLIENT_ID)",
            )  # fmt: skip
            sub.add_argument(
                "--client-secret-file", type=Path, metavar="PATH",
                help=f"read the client secret from this file (its first line); else "
                f"{SECRET_ENV} is used",
            )  # fmt: skip
            sub.add_argument(
                "--client-secret", metavar="SECRET",
                help="the client secret on the command line: works, but other users see it in "
                f"the process list and it stays in the shell history (warned); prefer "
                f"{SECRET_ENV} or --client-secret-file",
            )  # fmt: skip

    push = commands.add_parser(
        "push",
        help="send the export (resumable; safe to run again)",
        description="Send EXPORT_DIR's records (resumable: run the same command again after any "
        "interruption; nothing is stored twice). Lines refused are reported in "
        f"EXPORT_DIR/{REPORT_FILE}.",
        epilog="Completion is the legal handover (의료법 제40조의2): --complete completes only "
        "when every line of records.ndjson is stored. Otherwise nothing is completed, the "
        "transfer stays open, and the command says what is missing and exits 1: correct the "
        "lines and run the same command again (only the rest is sent), or complete without "
        "them with --complete-with-missing. Once completed, the 이관확인서 is saved as "
        f"EXPORT_DIR/{RECEIPT_FILE}.",
    )
    connection(push, credentials=True)
    push.add_argument(
        "--complete", action="store_true",
        help="complete the transfer at the end, only if every line is stored (else exit 1, the "
        f"transfer left open); then save its receipt as EXPORT_DIR/{RECEIPT_FILE}",
    )  # fmt: skip
    push.add_argument(
        "--complete-with-missing", action="store_true",
        help="complete the transfer even with lines left out (refused or invalid): they are "
        "declared missing and the receipt lists them",
    )  # fmt: skip
    push.add_argument(
        "--receipt-wait", type=float, default=120.0, metavar="SECONDS",
        help="how long to wait for the receipt after completion (default: 120)",
    )  # fmt: skip
    push.add_argument("--batch-size", type=int, default=200, help="records per batch request")
    push.add_argument("--concurrency", type=int, default=4, help="requests at a time")
    status = commands.add_parser("status", help="what the service holds for the export")
    connection(status, credentials=True)
    validate = commands.add_parser("validate", help="check the export locally, send nothing")
    connection(validate, credentials=False)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)  # bad arguments: exit 2, with argparse's one line
    if args.command != "validate":
        args.client_secret = _client_secret(parser, args)
        if not args.client_id or not args.client_secret:
            parser.error(f"--client-id and a client secret (MEDREC_CLIENT_ID and {SECRET_ENV}, "
                         "or --client-secret-file) are required")  # fmt: skip
        if args.batch_size < 1 if args.command == "push" else False:
            parser.error("--batch-size must be at least 1")
        for name, url in (("--identity-url", args.identity_url), ("--ingest-url", args.ingest_url)):
            try:
                require_secure(url, name)
            except InsecureURL as refused:
                parser.error(str(refused))
    reporter = reporter_for(sys.stderr)
    try:
        code = asyncio.run(_COMMANDS[args.command](args, reporter))
    except Failure as failure:
        print(f"{PROG}: {failure}", file=sys.stderr)
        code = failure.code
    except httpx.HTTPError as error:  # a request that may have arrived, not repeated (opening)
        print(
            f"{PROG}: the service did not answer ({type(error).__name__}); run the same command "
            "again to carry on",
            file=sys.stderr,
        )
        code = UNREACHABLE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; run the same command again to carry on", file=sys.stderr)
        code = 130
    sys.exit(code)


def _client_secret(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str | None:
    """The secret from --client-secret-file, --client-secret (warned) or the environment."""
    if args.client_secret_file is not None and args.client_secret is not None:
        parser.error("give --client-secret-file or --client-secret, not both")
    if args.client_secret_file is not None:
        try:
            lines = args.client_secret_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            parser.error(f"--client-secret-file could not be read ({type(error).__name__})")
        secret = lines[0].strip() if lines else ""
        if not secret:
            parser.error("--client-secret-file is empty")
        return secret
    if args.client_secret is not None:
        print(SECRET_ON_COMMAND_LINE, file=sys.stderr)
        return str(args.client_secret)
    return os.environ.get(SECRET_ENV)


def _client(args: argparse.Namespace, reporter: Reporter) -> AsyncTransferClient:
    def on_retry(what: str, attempt: int, delay: float, reason: str) -> None:
        reporter.say(f"{what}: {reason}; trying again in {delay:.1f} s (attempt {attempt + 1})")

    return AsyncTransferClient(
        identity_url=args.identity_url,
        ingest_url=args.ingest_url,
        client_id=args.client_id,
        client_secret=args.client_secret,
        on_retry=on_retry,
    )


def _load(root: Path) -> Export:
    """The export, checked against the schemas the kit carries: no request needed."""
    try:
        return load_export(root, carried())
    except ExportError as error:
        raise Failure(f"the export cannot be used: {error}") from None


async def _authenticate(client: AsyncTransferClient) -> None:
    try:
        await client.token()
    except CredentialsError as error:
        raise Failure(
            f"identity refused the client credentials ({error.error}); check the client id and "
            "secret"
        ) from None
    except ServiceUnavailable as error:
        raise Failure(f"identity could not be reached: {error}", UNREACHABLE) from None


async def _push(args: argparse.Namespace, reporter: Reporter) -> int:
    export = _load(args.export_dir)
    async with _client(args, reporter) as client:
        await _authenticate(client)
        push = Push(
            export, client, reporter, complete=args.complete,
            with_missing=args.complete_with_missing, receipt_wait=args.receipt_wait,
            batch_size=args.batch_size, concurrency=args.concurrency,
        )  # fmt: skip
        try:
            outcome = await push.run()
        except PushAborted as error:
            raise Failure(str(error)) from None
        except CredentialsError as error:
            raise Failure(f"identity refused the client credentials ({error.error})") from None
        except (ServiceUnavailable, ServerError, RateLimited) as error:
            # Unreachable, or answering 5xx/429 until the retries gave up: a longer outage.
            raise Failure(
                f"the service stayed unreachable ({error}); run the same command again to "
                "carry on", UNREACHABLE,
            ) from None  # fmt: skip
        except ProblemError as error:
            raise Failure(f"the service refused: {error}") from None
    return conclude(outcome, args)


def conclude(outcome: Outcome, args: argparse.Namespace) -> int:
    """Says how the push ended (stdout; what to do about it on stderr) and its exit code."""
    t = outcome.transfer
    print(
        f"transfer {t.transfer_id} ({t.status}): {outcome.stored} of {outcome.records} records "
        f"stored; the service counts {t.counts.stored} stored, {t.counts.bytes} bytes"
    )
    report = args.export_dir / REPORT_FILE
    if outcome.invalid:
        print(f"{outcome.invalid} line(s) reported in {report}")
    if outcome.stored < outcome.records:
        print(f"{outcome.records - outcome.stored} record(s) not stored")
    if outcome.held_open:
        print(_held_open(outcome, report, args), file=sys.stderr)
        return SOME_INVALID
    if outcome.completed and outcome.not_stored:
        print(_left_out(outcome, report))
    if outcome.receipt is not None:
        print(f"이관확인서 (receipt) {outcome.receipt_number}: saved as {outcome.receipt}")
    if outcome.receipt_pending:
        print(
            f"{PROG}: the transfer is completed, but its receipt was not ready within "
            f"{args.receipt_wait:.0f} s; run the same command again to save it",
            file=sys.stderr,
        )
        return UNREACHABLE
    if outcome.completed and args.complete_with_missing:
        return OK  # completed as asked; what was left out is said above
    if outcome.invalid:
        return SOME_INVALID
    if outcome.stored < outcome.records or (args.complete and not outcome.completed):
        return UNREACHABLE  # not refused, not stored: run again
    return OK


def _held_open(outcome: Outcome, report: Path, args: argparse.Namespace) -> str:
    """Why --complete did not complete, and the ways on."""
    if outcome.lines == 0:
        return f"{PROG}: not completed: records.ndjson holds no record; nothing to hand over."
    common = "\n".join(f"  {n} line(s): {problem}" for problem, n in outcome.problems)
    said = (
        f"{PROG}: not completed: {outcome.not_stored} of {outcome.lines} line(s) of "
        f"records.ndjson are not stored; the transfer {outcome.transfer.transfer_id} stays "
        f"open.\nEach is listed in {report}; the most common problems:\n{common}\n"
        "To fix: correct those lines in records.ndjson (the field named) and run the same "
        "command again: what is stored stays stored, only the rest is sent, and the transfer "
        "completes once every line is stored.\n"
    )
    if outcome.stored == 0 and args.complete_with_missing:
        return said + "--complete-with-missing does not complete a transfer that holds nothing."
    return said + (
        "Or complete without them: the same command with --complete-with-missing instead of "
        "--complete (they are declared missing, and the receipt lists them)."
    )


def _left_out(outcome: Outcome, report: Path) -> str:
    shown = 20
    named = ", ".join(
        f"line {number} ({external_id or 'no external_id'})"
        for number, external_id in outcome.left_out[:shown]
    )
    more = f" and {len(outcome.left_out) - shown} more" if len(outcome.left_out) > shown else ""
    return (
        f"completed with {outcome.not_stored} line(s) left out, declared missing: {named}{more} "
        f"(see {report})"
    )


async def _status(args: argparse.Namespace, reporter: Reporter) -> int:
    export = _load(args.export_dir)
    async with _client(args, reporter) as client:
        await _authenticate(client)
        push = Push(export, client, reporter)
        transfer = await push.find_transfer(create=False)
    summary: dict[str, Any] = {
        "export": {
            "institution_code": export.institution_code,
            "valid_lines": len(export.lines),
            "invalid_lines": len(export.problems),
            "bytes": sum(line.size for line in export.lines),
        },
        "transfer": None,
    }
    if transfer is not None:
        summary["transfer"] = {
            "transfer_id": transfer.transfer_id,
            "status": transfer.status,
            "record_count": transfer.record_count,
            "counts": transfer.counts.__dict__,
        }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return OK


async def _validate(args: argparse.Namespace, reporter: Reporter) -> int:
    export = _load(args.export_dir)
    for problem in export.problems:
        print(str(problem), file=sys.stderr)
    files = sum(1 for line in export.lines if not line.inline)
    print(
        f"{len(export.lines)} valid records ({files} with files, "
        f"{sum(line.size for line in export.lines)} bytes), {len(export.problems)} invalid lines"
    )
    return SOME_INVALID if export.problems else OK


_COMMANDS = {"push": _push, "status": _status, "validate": _validate}
