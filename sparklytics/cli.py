"""The ``sparklytics`` command: ``serve`` (default), ``health``, ``version``, ``import``,
``migrate --to cloud``."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


import trio

from sparklytics import __version__
from actors.runtime import StartupError
from sparklytics.config import Config, ConfigError, load_config
from sparklytics.startup import ACCEPT_ORPHANED_WAL_FLAG

log = logging.getLogger("sparklytics")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sparklytics", description="Self-hosted, privacy-first web analytics.")
    sub = parser.add_subparsers(dest="command")
    serve_parser = sub.add_parser("serve", help="run the server (default)")
    serve_parser.add_argument(
        ACCEPT_ORPHANED_WAL_FLAG,
        dest="accept_wal_without_database",
        action="store_true",
        help="the database is gone but its ingest WAL is not: set the WAL aside (kept, not loaded) and start empty",
    )
    health = sub.add_parser("health", help="exit 0 if the local server answers /health with 200")
    health.add_argument("--verbose", action="store_true", help="also print the status and the geo database in use")
    sub.add_parser("version", help="print the version")
    importer = sub.add_parser(
        "import", help="load events, an Umami or Plausible export, or our own CSV export (self-hosted: server stopped)"
    )
    importer.add_argument("file", type=Path, help="a file, a directory or a .zip (see README: Import historical data)")
    importer.add_argument(
        "--format", choices=("events", "umami", "plausible", "export"), help="default: recognised from the file"
    )
    importer.add_argument("--website", metavar="SITE_ID", help="our website to import into (Umami, Plausible, export)")
    importer.add_argument(
        "--again", action="store_true", help="import an Umami or our export that was imported before (counts it twice)"
    )
    migrate = sub.add_parser(
        "migrate", help="copy this install's metadata and events into cloud mode's stores (server stopped; resumable)"
    )
    migrate.add_argument("--to", choices=("cloud",), required=True, help="the mode to move to")
    args = parser.parse_args(argv)
    command = args.command or "serve"
    if command == "version":
        print(__version__)
        return 0
    try:
        config = load_config(os.environ)
    except ConfigError as exc:
        print(f"sparklytics: invalid configuration: {exc}", file=sys.stderr)
        return 2
    if command == "health":
        return _health(config, verbose=args.verbose)
    _configure_logging(config)
    if command == "import":
        return _import(config, args.file, args.format, args.website, args.again)
    if command == "migrate":
        return _migrate(config)
    for warning in config.warnings:
        log.warning(warning)
    try:
        _run(serve, config, getattr(args, "accept_wal_without_database", False))
    except StartupError as failure:
        print(f"sparklytics: {failure}", file=sys.stderr)
        return 2
    return 0


def _run(async_fn: Any, *args: Any) -> Any:
    """``trio.run``, with a :class:`StartupError` raised as itself, not inside the groups
    the nurseries on its way wrap it in."""
    try:
        return trio.run(async_fn, *args)
    except BaseExceptionGroup as group:
        failure: BaseException = group
        while isinstance(failure, BaseExceptionGroup):
            found = failure.subgroup(StartupError)
            if found is None:
                raise
            failure = found.exceptions[0]
        raise failure from None


def _import(config: Config, path: Path, format: str | None, website_id: str | None, again: bool) -> int:
    from sparklytics.importer import ImportRefused, ImportStopped, import_file

    if not path.exists():
        print(f"sparklytics: no such file: {path}", file=sys.stderr)
        return 2
    try:
        result = _run(functools.partial(import_file, config, path, format=format, website_id=website_id, again=again))
    except StartupError as error:
        where = "the cloud stores" if config.mode == "cloud" else "the database (is the server running?)"
        print(f"sparklytics: cannot open {where}: {error}", file=sys.stderr)
        return 2
    except ImportRefused as refused:
        print(f"sparklytics: import refused, nothing was imported: {refused}", file=sys.stderr)
        return 2
    except ImportStopped as stopped:
        print(f"sparklytics: import stopped, the file cannot be read further: {stopped}", file=sys.stderr)
        return 2
    if result.resumed_rows:
        print(f"sparklytics: resumed an import that had stopped: its first {result.resumed_rows} rows were "
              "already imported", file=sys.stderr)
    if result.days is not None:
        first, last = result.days
        print(f"sparklytics: imported aggregates replace those of {first} … {last}", file=sys.stderr)
    if result.ignored_files:
        print(f"sparklytics: not read (no table of ours for them): {', '.join(result.ignored_files)}", file=sys.stderr)
    for line in result.summary:
        print(f"sparklytics: {line}", file=sys.stderr)
    for error in result.errors:
        print(f"sparklytics: skipped {error}", file=sys.stderr)
    return 1 if result.skipped else 0


def _migrate(config: Config) -> int:
    from sparklytics.migrate import MigrationRefused, migrate_to_cloud

    try:
        copied, sent = migrate_to_cloud(config)
    except (MigrationRefused, StartupError) as refused:
        print(f"sparklytics: migration stopped: {refused}", file=sys.stderr)
        return 2
    print(f"sparklytics: migrated {copied} metadata rows and {sent} events; run it again to check nothing is missing",
          file=sys.stderr)
    return 0


async def serve(config: Config, accept_wal_without_database: bool = False) -> None:
    """Run the actors and Hypercorn in one nursery until SIGINT/SIGTERM."""
    from sparklytics.app import create_app
    from sparklytics.http_server import hypercorn_config, serve as serve_http
    from sparklytics.process_tuning import tune_for_serving
    from sparklytics.services import open_services

    async with trio.open_nursery() as nursery:
        async with open_services(config, accept_wal_without_database=accept_wal_without_database) as services:
            nursery.start_soon(_wait_for_signal, services.stopping)
            app = create_app(services)
            hconfig = hypercorn_config(config, f"{config.host}:{config.port}", graceful_timeout=5)
            tune_for_serving()
            log.info("sparklytics %s listening on http://%s:%d (data in %s)", __version__, config.host, config.port, config.data_dir)
            await serve_http(app, config, hconfig, services.stopping.wait)
            log.info("shutting down: flushing buffered events")
        nursery.cancel_scope.cancel()
    log.info("stopped cleanly")


async def _wait_for_signal(stop: trio.Event) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            stop.set()
            return


def _health(config: Config, *, verbose: bool = False) -> int:
    url = f"http://127.0.0.1:{config.port}/health"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        if verbose:
            print(f"no server answers {url}: {error}")
        return 1
    if verbose:
        _print_health(status, body)
    return 0 if status == 200 else 1


def _print_health(status: int, body: bytes) -> None:
    try:
        health = json.loads(body)
    except ValueError:
        print(f"HTTP {status}: {body[:200]!r}")
        return
    print(f"status: {health.get('status')} (HTTP {status}, version {health.get('version')})")
    geo = health.get("geo")
    if not geo:
        print("geo: none (no MaxMind file at SPARKLYTICS_GEOIP_PATH, no DB-IP files: run scripts/install-geo.sh)")
        return
    print(f"geo: {geo['database']} ({geo['source']}), built {geo['build_date']}: {', '.join(geo['paths'])}")
    if geo.get("attribution"):
        print(f"     {geo['attribution']}")


def _configure_logging(config: Config) -> None:
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
