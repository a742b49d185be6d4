"""`yiju ingest`: consume the district's MQTT traffic into InfluxDB until stopped."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from core.errors import ConfigError
from core.registry import load_registry
from core.settings import get_settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ingest", help="validate MQTT messages into InfluxDB and raise violations (until stopped)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="consumer processes on the shared subscription"
    )
    parser.add_argument("--registry", type=Path, help="district file (default: the data folder's)")
    parser.add_argument(
        "--group", default="yiju-ingest", help="shared-subscription group; also the client ids"
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
        type=int,
        default=0,
        help="first worker index (client id GROUP-INDEX) for this process",
    )
    parser.add_argument("--batch-size", type=int, default=5000, help="lines per InfluxDB write")
    parser.add_argument(
        "--batch-delay", type=float, default=0.2, help="seconds before a partial batch is written"
    )
    parser.add_argument(
        "--no-restore", action="store_true", help="do not read open violations back at start"
    )
    parser.add_argument("--stats-interval", type=float, default=10.0, help="seconds between logs")
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
        f"ingest stopped: {c.received} received, {c.written} written, "
        f"{c.deadlettered} dead letters, violations {c.violations_opened} opened / "
        f"{c.violations_closed} closed"
    )
    return 0 if flushed else 1
