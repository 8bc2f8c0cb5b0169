"""`python -m core ...`: serve locally, print a feed or digest, refresh listings."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from core.feeds import FeedSpec, FeedWishes
from core.errors import ConfigError, UpstreamUnavailable
from core.render.formats import FORMATS
from core.service import FeedService
from core.settings import Settings
from core.urls import Urls


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="arxiv-feeds: filtered, ranked arXiv feeds")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the feeds over HTTP (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s; 0.0.0.0: every interface)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s)")
    serve.add_argument("--reload", action="store_true", help="restart on code changes")

    feed = commands.add_parser("feed", help="print a profile's feed or digest to stdout")
    feed.add_argument("profile", help="profile name from config.json")
    feed.add_argument("--format", choices=FORMATS, default="md", help="output format (default %(default)s)")
    feed.add_argument("--days", type=int, help="days of announcements to include")
    feed.add_argument("--limit", type=int, help="at most this many items")
    feed.add_argument("--base-url", default=None, help="absolute URL the feed's links use (default PUBLIC_BASE_URL or http://127.0.0.1:8000)")

    commands.add_parser("refresh", help="fetch every profile's categories that are due, then make missing AI summaries")
    backfill = commands.add_parser(
        "backfill", help="fill weekdays missing from the stored history from arXiv's query API (polite, bounded)"
    )
    backfill.add_argument("--days", type=int, help="days to look back (default: the longest profile's days)")
    backfill.add_argument("--profile", action="append", help="only this profile's categories (repeatable)")
    commands.add_parser("profiles", help="list the configured profiles")
    return parser


def _progress_bar():
    """`[#####-----] 1/2 message` on stderr: redrawn in place on a terminal, a line per step otherwise."""

    def show(done: int, total: int, message: str) -> None:
        width = 20
        filled = width * done // max(total, 1)
        end = "\r" if sys.stderr.isatty() and done < total else "\n"
        print(f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {message[:90]:<90}", end=end, file=sys.stderr, flush=True)

    return show


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):  # no command: what there is, not only an error
        print(parser.format_help(), end="")
        print("\nexample: python -m core serve   (then open http://127.0.0.1:8000)")
        return 2
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "serve":
        import uvicorn

        uvicorn.run("api.index:app", host=args.host, port=args.port, reload=args.reload, proxy_headers=True)
        return 0
    try:
        service = FeedService(Settings.from_env())
    except (ConfigError, ValueError) as exc:  # a bad config.json or environment variable
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, service))
    finally:
        asyncio.run(service.close())


async def _backfill(args: argparse.Namespace, service: FeedService) -> int:
    unknown = [p for p in args.profile or [] if p not in service.config.profiles]
    if unknown or (args.days is not None and not 1 <= args.days <= service.settings.history_days):
        print(f"error: unknown profile {unknown[0]!r}; profiles: {', '.join(service.config.profiles)}" if unknown
              else f"error: --days must be 1 to HISTORY_DAYS ({service.settings.history_days})", file=sys.stderr)
        return 2
    report = await service.backfill(args.days, args.profile, progress=_progress_bar())
    for category, days in sorted(report["missing"].items()):
        filled, empty = report["filled"].get(category, []), report["empty"].get(category, [])
        print(f"{category}\tmissing {len(days)}\tfilled {len(filled)}\tno papers {len(empty)}")
    print(f"{report['requests']} requests to arXiv's query API, {report['papers']} papers stored", file=sys.stderr)
    if report["error"]:
        print(f"error: {report['error']}", file=sys.stderr)
        return 1
    return 0


async def _run(args: argparse.Namespace, service: FeedService) -> int:
    config = service.config
    if args.command == "profiles":
        for name, profile in config.profiles.items():
            print(f"{name}\t{profile.title or name}\t{','.join(profile.categories)}")
        return 0
    if args.command == "refresh":
        report = await service.refresh_all(service.settings.cron_budget_s, progress=_progress_bar())
        failed = [c for c, state in report["categories"].items() if state["last_error"]]
        for category in failed:
            print(f"error: {category}: {report['categories'][category]['last_error']}", file=sys.stderr)
        return 1 if failed else 0
    if args.command == "backfill":
        return await _backfill(args, service)
    if args.profile not in config.profiles:
        print(f"error: no profile {args.profile!r}; profiles: {', '.join(config.profiles)}", file=sys.stderr)
        return 2
    try:
        wishes = FeedWishes(days=args.days, limit=args.limit)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    spec = FeedSpec.from_profile(args.profile, config.profiles[args.profile], wishes)
    base = (args.base_url or service.settings.public_base_url or "http://127.0.0.1:8000").rstrip("/")
    try:
        feed = await service.rendered(spec, args.format, Urls(base).profile_feed(args.profile, args.format), base)
    except UpstreamUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(feed.body)
    if not feed.body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    return 0
