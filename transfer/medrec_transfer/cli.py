"""`medrec-transfer`: push an export directory into medrec's transfer API, see what the service
holds for it, or check it locally.

Exit codes (API.md, "Front doors"): 0 everything stored (and completed with --complete); 1 some
lines invalid (reported in EXPORT_DIR/medrec-report.ndjson), the rest stored; 2 bad arguments,
credentials or export; 3 the service stayed unreachable (run the same command again later: it
carries on where it stopped)."""

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from medrec_transfer.client import AsyncTransferClient
from medrec_transfer.errors import CredentialsError, ProblemError, ServiceUnavailable
from medrec_transfer.export import REPORT_FILE, Export, ExportError, load_export
from medrec_transfer.progress import Reporter, reporter_for
from medrec_transfer.push import Push, PushAborted

OK, SOME_INVALID, UNUSABLE, UNREACHABLE = 0, 1, 2, 3
PROG = "medrec-transfer"


class Failure(Exception):
    def __init__(self, message: str, code: int = UNUSABLE) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Move a closing clinic's records into medrec through its transfer API.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def connection(sub: argparse.ArgumentParser, credentials: bool) -> None:
        sub.add_argument("export_dir", metavar="EXPORT_DIR", type=Path)
        sub.add_argument(
            "--ingest-url", default=os.environ.get("MEDREC_INGEST_URL", "http://127.0.0.1:8002")
        )
        if credentials:
            sub.add_argument(
                "--identity-url",
                default=os.environ.get("MEDREC_IDENTITY_URL", "http://127.0.0.1:8001"),
            )
            sub.add_argument("--client-id", default=os.environ.get("MEDREC_CLIENT_ID"))
            sub.add_argument("--client-secret", default=os.environ.get("MEDREC_CLIENT_SECRET"))

    push = commands.add_parser("push", help="send the export (resumable; safe to run again)")
    connection(push, credentials=True)
    push.add_argument("--complete", action="store_true", help="complete the transfer at the end")
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
        if not args.client_id or not args.client_secret:
            parser.error("--client-id and --client-secret (or MEDREC_CLIENT_ID and "
                         "MEDREC_CLIENT_SECRET) are required")  # fmt: skip
        if args.batch_size < 1 if args.command == "push" else False:
            parser.error("--batch-size must be at least 1")
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


def _client(args: argparse.Namespace, reporter: Reporter) -> AsyncTransferClient:
    def on_retry(what: str, attempt: int, delay: float, reason: str) -> None:
        reporter.say(f"{what}: {reason}; trying again in {delay:.1f} s (attempt {attempt + 1})")

    return AsyncTransferClient(
        identity_url=getattr(args, "identity_url", ""),
        ingest_url=args.ingest_url,
        client_id=getattr(args, "client_id", "") or "",
        client_secret=getattr(args, "client_secret", "") or "",
        on_retry=on_retry,
    )


async def _load(client: AsyncTransferClient, root: Path) -> Export:
    try:
        document = await client.openapi()
    except ServiceUnavailable as error:
        raise Failure(f"ingest's OpenAPI document could not be read: {error}", UNREACHABLE) from (
            None
        )
    except ProblemError as error:
        raise Failure(f"ingest's OpenAPI document could not be read: {error}") from None
    try:
        return load_export(root, document)
    except ExportError as error:
        raise Failure(f"the export cannot be used: {error}") from None


async def _authenticate(client: AsyncTransferClient) -> None:
    try:
        await client.token()
    except CredentialsError as error:
        raise Failure(
            f"identity refused the client credentials ({error.error}); check --client-id and "
            "--client-secret"
        ) from None
    except ServiceUnavailable as error:
        raise Failure(f"identity could not be reached: {error}", UNREACHABLE) from None


async def _push(args: argparse.Namespace, reporter: Reporter) -> int:
    async with _client(args, reporter) as client:
        export = await _load(client, args.export_dir)
        await _authenticate(client)
        push = Push(
            export, client, reporter, complete=args.complete,
            batch_size=args.batch_size, concurrency=args.concurrency,
        )  # fmt: skip
        try:
            outcome = await push.run()
        except PushAborted as error:
            raise Failure(str(error)) from None
        except CredentialsError as error:
            raise Failure(f"identity refused the client credentials ({error.error})") from None
        except ServiceUnavailable as error:
            raise Failure(
                f"the service stayed unreachable ({error}); run the same command again to "
                "carry on", UNREACHABLE,
            ) from None  # fmt: skip
        except ProblemError as error:
            raise Failure(f"the service refused: {error}") from None
    t = outcome.transfer
    print(
        f"transfer {t.transfer_id} ({t.status}): {outcome.stored} of {outcome.records} records "
        f"stored; the service counts {t.counts.stored} stored, {t.counts.bytes} bytes"
    )
    if outcome.invalid:
        print(f"{outcome.invalid} line(s) reported in {args.export_dir / REPORT_FILE}")
    if outcome.stored < outcome.records:
        print(f"{outcome.records - outcome.stored} record(s) not stored")
    if outcome.invalid:
        return SOME_INVALID
    if outcome.stored < outcome.records or (args.complete and not outcome.completed):
        return UNREACHABLE  # not refused, not stored: run again
    return OK


async def _status(args: argparse.Namespace, reporter: Reporter) -> int:
    async with _client(args, reporter) as client:
        export = await _load(client, args.export_dir)
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
    async with _client(args, reporter) as client:
        export = await _load(client, args.export_dir)
    for problem in export.problems:
        print(str(problem), file=sys.stderr)
    files = sum(1 for line in export.lines if not line.inline)
    print(
        f"{len(export.lines)} valid records ({files} with files, "
        f"{sum(line.size for line in export.lines)} bytes), {len(export.problems)} invalid lines"
    )
    return SOME_INVALID if export.problems else OK


_COMMANDS = {"push": _push, "status": _status, "validate": _validate}
