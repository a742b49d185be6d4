"""`yiju ingest`: consume the district's MQTT traffic into InfluxDB until stopped."""

from __future__ import annotations

import argparse
import math
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from core.errors import ConfigError
from core.registry import load_registry
from core.settings import get_settings
from ingest import MAX_WORKERS

# Options are checked as argparse types, so a bad value is a usage error (exit 2)
# that names the option, not a traceback from deep inside the service.


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` (to `high`)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: must be {bounds}")
        return value

    return parse


def _seconds(*, zero: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, above zero (or from zero)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            bounds = "0 or more" if zero else "more than 0"
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {bounds} seconds")
        return value

    return parse


def _group(text: str) -> str:
    # The group is both a topic level ($share/GROUP/...) and the client ids' stem.
    if not text or any(c in text for c in "/+#"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a plain name, without / + #")
    return text


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ingest", help="validate MQTT messages into InfluxDB and raise violations (until stopped)"
    )
    parser.add_argument(
        "--workers",
        type=_whole(1, MAX_WORKERS),
        default=1,
        help=f"consumer processes on the shared subscription (1–{MAX_WORKERS})",
    )
    parser.add_argument("--registry", type=Path, help="district file (default: the data folder's)")
    parser.add_argument(
        "--group",
        type=_group,
        default="yiju-ingest",
        help="shared-subscription group; also the client ids",
    )
    parser.add_argument(
        "--shared",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="shared subscription (default: when --workers > 1); needed when several "
        "`yiju ingest` processes split one group",
    )
    parser.add_argument(
        "--index-offset",
        type=_whole(0),
        default=0,
        help="first worker index (client id GROUP-INDEX) for this process",
    )
    parser.add_argument(
        "--batch-size", type=_whole(1), default=5000, help="lines per InfluxDB write"
    )
    parser.add_argument(
        "--batch-delay",
        type=_seconds(zero=False),
        default=0.2,
        help="seconds before a partial batch is written",
    )
    parser.add_argument(
        "--no-restore", action="store_true", help="do not read open violations back at start"
    )
    parser.add_argument(
        "--stats-interval",
        type=_seconds(zero=True),
        default=10.0,
        help="seconds between logs (0: none)",
    )
    parser.set_defaults(func=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.service import IngestService

    settings = get_settings()
    path = args.registry or settings.registry_file()
    if not path.exists():
        raise ConfigError(
            f"district file {path} does not exist; create it with `yiju district generate` "
            "or pass --registry"
        )
    registry = load_registry(path)
    service = IngestService(
        settings,
        registry,
        args.workers,
        group=args.group,
        shared=args.shared,
        index_offset=args.index_offset,
        batch_size=args.batch_size,
        batch_delay_s=args.batch_delay,
        restore=not args.no_restore,
        stats_interval_s=args.stats_interval,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service.start()
    print(f"ingest running with {args.workers} worker(s); stop with Ctrl-C", flush=True)
    while not stop.wait(1.0):
        pass
    flushed = service.stop()
    c = service.counters()
    print(
        f"ingest stopped: {c.received} received ({c.redelivered} redelivered), "
        f"{c.written} written, {c.deadlettered} dead letters, violations "
        f"{c.violations_opened} opened / {c.violations_closed} closed, "
        f"{c.alerts_published} alerts published"
    )
    return 0 if flushed else 1
