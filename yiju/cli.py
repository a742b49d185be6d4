"""The `yiju` command line: one subcommand per part of the system.

Each package that has commands provides `<package>/cli.py` with a
`register(subparsers)` function; this module finds them, so a part can add its
commands without touching the others.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import sys
from collections.abc import Sequence

from core.errors import YijuError
from core.version import __version__
from yiju import days_cli
from yiju.localservices import ServiceError

# Packages whose cli.py adds subcommands, in the order they appear in --help.
COMMAND_MODULES = (
    "yiju.services_cli",
    "yiju.district_cli",
    "simulators.cli",
    "ingest.cli",
    "optimizer.cli",
    "api.cli",
    "dashboards.cli",
    "yiju.demo",
)


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("httpx", "httpcore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _installed(module: str) -> bool:
    """Whether a part's command module exists (a checkout may not have every part)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yiju",
        description="Sanitation monitoring and daily crew routing for a district's communities.",
    )
    parser.add_argument("--version", action="version", version=f"yiju {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        if not _installed(name):
            continue
        importlib.import_module(name).register(sub)
    if "simulate" in sub.choices:
        days_cli.extend(sub.choices["simulate"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        code = args.func(args)
    except (YijuError, ServiceError) as exc:
        print(f"yiju: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("yiju: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
