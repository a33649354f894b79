"""Command line: ``serve``, ``migrate``, ``create-user``, ``mint-key``,
``import-reads``, ``version``.

``python run.py COMMAND …`` in a checkout, ``trakrf-server COMMAND …`` as the
single executable. Wrong arguments print a message and exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from trakrf_server import __version__, paths, timeutil
from trakrf_server.config import Config, ConfigError, load_config

log = logging.getLogger("trakrf.server")


def _config(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {}
    for flag, key in (
        ("host", "server.host"),
        ("port", "server.port"),
        ("data_dir", "server.data_dir"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[key] = value
    return load_config(args.config, overrides)


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# --- serve ------------------------------------------------------------------------


class CannotListen(Exception):
    """The address is taken, unknown or not this machine's."""


async def _serve(config: Config, ready: Any = None) -> None:
    import tornado.netutil

    from trakrf_server.api.base import MAX_BODY
    from trakrf_server.api.malformed import ApiHTTPServer
    from trakrf_server.app import make_app, make_context
    from trakrf_server.mqtt import make_subscriber

    ctx = make_context(config)
    subscriber = make_subscriber(ctx)
    app = make_app(ctx)
    # The application sets each request's own limit (api/body_limit.py); the
    # server answers a head it cannot parse in the envelope (api/malformed.py).
    server = ApiHTTPServer(app, xheaders=False, max_body_size=MAX_BODY)
    try:
        sockets = tornado.netutil.bind_sockets(config.server.port, config.server.host)
    except OSError as exc:
        ctx.db.close()
        where = f"{config.server.host}:{config.server.port}"
        raise CannotListen(f"cannot listen on {where}: {exc.strerror or exc}") from None
    server.add_sockets(sockets)
    log.info(
        "trakrf-server %s listening on http://%s:%d (data in %s)",
        __version__,
        config.server.host,
        sockets[0].getsockname()[1],
        config.data_path,
    )
    if subscriber is not None:
        subscriber.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    server.stop()
    if subscriber is not None:
        await subscriber.stop()
    await server.close_all_connections()
    ctx.db.close()


def cmd_serve(args: argparse.Namespace) -> int:
    from trakrf_server.ratelimit import StoreUnavailable

    config = _config(args)
    try:
        asyncio.run(_serve(config))
    except (StoreUnavailable, CannotListen) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


# --- migrate ----------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    from trakrf_server.db import Database
    from trakrf_server.migrate import apply_migrations

    config = _config(args)
    db = Database(config)
    db.open(migrate=False)
    applied = apply_migrations(db.db)
    print(
        f"applied {len(applied)} migration(s)"
        + (": " + ", ".join(applied) if applied else "")
    )
    db.close()
    return 0


# --- create-user ------------------------------------------------------------------


def cmd_create_user(args: argparse.Namespace) -> int:
    from trakrf_server.api.internal.validate import is_email
    from trakrf_server.auth.passwords import hash_password, password_problem
    from trakrf_server.db import Database
    from trakrf_server.errors import ApiError
    from trakrf_server.services import accounts

    if not is_email(args.email):
        return _wrong("EMAIL must be a valid email address")
    if args.org is not None and _name_problem(args.org.strip()):
        return _wrong(f"--org {_name_problem(args.org.strip())}")
    # The role is the user's in the organization --org creates; without one it
    # would be dropped and the user left with no role anywhere.
    if args.role is not None and args.org is None:
        return _wrong("--role is the role in the organization --org creates; add --org")
    role = args.role or "admin"
    config = _config(args)
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.email}: ")
    else:
        password = _read_password_line()
    problem = password_problem(password)
    if problem:
        print(
            f"error: {problem} (the password is read from standard input)",
            file=sys.stderr,
        )
        return 2
    hashed = hash_password(password, config.auth.bcrypt_rounds)

    def create() -> str:
        user = accounts.create_user(args.email, hashed, is_superadmin=args.superadmin)
        said = f"created user {user.id} <{user.email}>"
        if args.org:
            org = accounts.create_org(args.org)
            accounts.add_member(user, org, role)
            said += f", {role} of org {org.id} {org.name!r} ({org.identifier})"
        return said

    db = Database(config)
    db.open()
    try:
        print(db.run_sync_write(create))
    except ApiError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0


def _read_password_line() -> str:
    """One line of standard input, whatever its bytes.

    Read as bytes: a text stream's own decoding would raise on bytes that are
    not UTF-8 in a strict locale. Such bytes become lone surrogates here, and
    ``password_problem`` refuses them with a message.
    """
    line = sys.stdin.buffer.readline().rstrip(b"\r\n")
    return line.decode("utf-8", "surrogateescape")


# --- mint-key ---------------------------------------------------------------------


def cmd_mint_key(args: argparse.Namespace) -> int:
    from trakrf_server.auth.tokens import load_or_create_secret
    from trakrf_server.db import Database
    from trakrf_server.errors import ApiError
    from trakrf_server.models import Organization
    from trakrf_server.services import keys

    if _name_problem(args.name):
        return _wrong(f"NAME {_name_problem(args.name)}")
    config = _config(args)
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    unknown = [s for s in scopes if s not in keys.ALL_SCOPES]
    if not scopes or unknown:
        allowed = ", ".join(keys.ALL_SCOPES)
        print(
            f"error: --scopes takes a comma-separated list of: {allowed}",
            file=sys.stderr,
        )
        return 2
    expires = None
    if args.expires_at:
        expires = timeutil.parse_rfc3339(args.expires_at)
        if expires is None:
            print("error: --expires-at must be an RFC 3339 timestamp", file=sys.stderr)
            return 2

    def mint() -> str:
        org = Organization.get_or_none(
            (
                (Organization.id == _as_int(args.org))
                | (Organization.identifier == args.org)
            )
            & Organization.deleted_at.is_null()
        )
        if org is None:
            raise ApiError("not_found", f"organization {args.org!r} not found")
        _, token = keys.mint_key(secret, org.id, args.name, scopes, expires)
        return token

    db = Database(config)
    db.open()
    secret = load_or_create_secret(config.auth.jwt_secret, config.data_path)
    try:
        print(db.run_sync_write(mint))
    except ApiError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        db.close()
    return 0


MAX_ID = 2147483647


def _as_int(text: str) -> int:
    """``text`` as an id, or -1 when it is none (ASCII digits, ID-1's range)."""
    if not (text.isascii() and text.isdigit()):
        return -1
    value = int(text)
    return value if value <= MAX_ID else -1


def _name_problem(name: str) -> str | None:
    """Why ``name`` breaks the HTTP API's rule for org and key names, or None.

    The command line creates what the web app creates, so it keeps the same
    rules: 1-255 characters, no control characters (VAL-9).
    """
    from trakrf_server.services.validation import has_control

    if not 1 <= len(name) <= 255:
        return "must be 1-255 characters"
    if has_control(name):
        return "must not contain control characters (NUL, etc.)"
    return None


def _wrong(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


# --- import-reads -----------------------------------------------------------------


def cmd_sample_config(args: argparse.Namespace) -> int:
    # The executable carries no config.toml beside it: this is how its users
    # get the documented file to start from.
    sys.stdout.write(paths.sample_config().read_text(encoding="utf-8"))
    return 0


def cmd_import_reads(args: argparse.Namespace) -> int:
    import csv

    from tqdm import tqdm

    from trakrf_server.db import Database
    from trakrf_server.models import Organization
    from trakrf_server.services import backfill

    config = _config(args)
    try:
        handle = open(args.file, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with handle:
        try:
            # This first pass counts rows, not lines (a quoted value may span
            # lines), and finds bytes that are not UTF-8 or a broken CSV
            # before any row is recorded.
            # (DictReader below skips blank lines; so does this count)
            total = max(sum(1 for row in csv.reader(handle) if row) - 1, 0)
        except UnicodeDecodeError as exc:
            print(
                f"error: {args.file}: not UTF-8 text (byte {exc.start})",
                file=sys.stderr,
            )
            return 2
        except csv.Error as exc:
            print(f"error: {args.file}: not a CSV file ({exc})", file=sys.stderr)
            return 2
        handle.seek(0)
        reader = csv.DictReader(handle)
        # The rows are read by these names too: checking stripped names but
        # keeping " location_external_key" as the key would pass the header
        # and then find no location in any row.
        reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
        try:
            backfill.check_header(reader.fieldnames)
        except backfill.BackfillError as exc:
            print(f"error: {args.file}: {exc}", file=sys.stderr)
            return 2

        db = Database(config)
        db.open()
        try:
            org_id = db.run_sync_write(
                lambda: (
                    Organization.select(Organization.id)
                    .where(
                        (
                            (Organization.id == _as_int(args.org))
                            | (Organization.identifier == args.org)
                        )
                        & Organization.deleted_at.is_null()
                    )
                    .scalar()
                )
            )
            if org_id is None:
                print(f"error: organization {args.org!r} not found", file=sys.stderr)
                return 1
            recorded, duplicates, problems = _import_batches(
                db, org_id, reader, args.batch_size, tqdm(total=total, unit="read")
            )
        finally:
            db.close()

    for line, message in problems[:20]:
        print(f"line {line}: {message}", file=sys.stderr)
    if len(problems) > 20:
        print(f"… and {len(problems) - 20} more", file=sys.stderr)
    print(
        f"recorded {recorded} event(s), skipped {len(problems)} row(s), "
        f"{duplicates} duplicate(s)"
    )
    return 1 if problems else 0


def _import_batches(db, org_id: int, reader, size: int, bar) -> tuple[int, int, list]:
    """Feed the rows to the writer, one transaction per ``size`` rows."""
    from trakrf_server.services import backfill

    recorded, duplicates, problems, batch = 0, 0, [], []

    def flush() -> None:
        nonlocal recorded, duplicates
        result = db.run_sync_write(backfill.record_rows, org_id, batch)
        recorded += result.recorded
        duplicates += result.duplicates
        problems.extend(result.problems)
        bar.update(len(batch))
        batch.clear()

    with bar:
        for row in reader:
            batch.append((reader.line_num, row))
            if len(batch) >= size:
                flush()
        if batch:
            flush()
    return recorded, duplicates, problems


# --- parser -----------------------------------------------------------------------


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (else exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trakrf-server",
        description="Self-hosted RFID asset-tracking server speaking the TrakRF API.",
    )
    parser.add_argument(
        "--version", action="version", version=f"trakrf-server {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", default="config.toml", help="configuration file")
        p.add_argument("--data-dir", dest="data_dir", help="where the data lives")

    p = sub.add_parser("serve", help="run the server")
    common(p)
    p.add_argument("--host", help="address to listen on")
    p.add_argument("--port", type=int, help="port to listen on")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="apply pending database migrations")
    common(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-user", help="create a user (password read from stdin)")
    common(p)
    p.add_argument("email")
    p.add_argument("--org", help="also create this organization")
    p.add_argument(
        "--role",
        choices=["viewer", "operator", "manager", "admin"],
        help="the user's role in the --org organization (default admin)",
    )
    p.add_argument("--superadmin", action="store_true", help="grant superadmin")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("mint-key", help="mint an API key and print its token once")
    common(p)
    p.add_argument("org", help="organization id or identifier")
    p.add_argument("name", help="a name for the key")
    p.add_argument("--scopes", required=True, help="comma-separated scopes")
    p.add_argument("--expires-at", dest="expires_at", help="RFC 3339 expiry")
    p.set_defaults(func=cmd_mint_key)

    p = sub.add_parser(
        "import-reads", help="backfill scan events from a CSV of past reads"
    )
    common(p)
    p.add_argument(
        "file",
        help="CSV with seen_at, location_external_key, and "
        "asset_external_key or epc (docs/reader-ingest.md)",
    )
    p.add_argument("--org", required=True, help="organization id or identifier")
    p.add_argument(
        "--batch-size",
        dest="batch_size",
        type=_positive_int,
        default=1000,
        help="rows per transaction (default 1000)",
    )
    p.set_defaults(func=cmd_import_reads)

    p = sub.add_parser(
        "sample-config",
        help="print a config.toml with every setting, its default and what it does",
    )
    p.set_defaults(func=cmd_sample_config)

    p = sub.add_parser("version", help="print the version")
    p.set_defaults(func=lambda args: print(f"trakrf-server {__version__}") or 0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_usage(sys.stderr)
        print("error: a command is required", file=sys.stderr)
        return 2
    _setup_logging()
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
