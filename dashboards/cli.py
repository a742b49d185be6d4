"""`yiju dashboards build|check|seed|probe|push`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml
from pydantic import SecretStr

from core.influx import InfluxClient
from core.localday import now_ms
from core.plans import PlanStore
from core.registry import load_registry
from core.settings import get_settings
from dashboards import build, validate
from dashboards.interpolate import TimeRange


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "dashboards", help="build, check, seed, probe or push the Grafana boards"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    b = actions.add_parser("build", help="write dashboards/built/*.json and the provisioning YAML")
    b.set_defaults(func=cmd_build)

    c = actions.add_parser("check", help="validate the boards; fail when the built files are stale")
    c.set_defaults(func=cmd_check)

    s = actions.add_parser("seed", help="write community facts and unserved stops to InfluxDB")
    s.add_argument("--registry", type=Path, help="district file (default: the configured one)")
    s.set_defaults(func=cmd_seed)

    p = actions.add_parser("probe", help="run every board's queries against InfluxDB, as Grafana")
    p.add_argument("--from", dest="start", default="now/d", help="Grafana time, e.g. now-6h")
    p.add_argument("--to", dest="end", default="now")
    p.add_argument("--var", action="append", default=[], metavar="NAME=V1,V2",
                   help="select variable values (default: All)")  # fmt: skip
    p.set_defaults(func=cmd_probe)

    u = actions.add_parser("push", help="upsert folder, datasource, boards and alert rules")
    u.add_argument("--url", help="Grafana URL, e.g. http://localhost:3000 (YIJU_GRAFANA_URL)")
    u.add_argument("--token", help="service-account token (default: YIJU_GRAFANA_TOKEN)")
    u.add_argument("--influx-url", default="http://influxdb:8086",
                   help="InfluxDB as Grafana reaches it")  # fmt: skip
    u.add_argument("--influx-db", help="database (default: YIJU_INFLUX_DB)")
    u.add_argument(
        "--influx-token", help="2.x/3.x token instead of the 1.x reader (YIJU_INFLUX_TOKEN)"
    )
    u.set_defaults(func=cmd_push)


def _load(rel: Path) -> dict[str, object]:
    text = (build.ROOT / rel).read_text(encoding="utf-8")
    loaded = yaml.safe_load(text) if rel.suffix == ".yaml" else json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def cmd_build(args: argparse.Namespace) -> int:
    for path in build.write():
        print(f"wrote {path.relative_to(build.ROOT.parent)}")
    return cmd_check(args)


def cmd_check(args: argparse.Namespace) -> int:
    boards = build.boards()
    prov = build.PROVISIONING
    errors = validate.all_errors(
        boards,
        _load(prov / "datasources" / "yiju.yaml"),
        _load(prov / "alerting" / "yiju.yaml"),
    )
    try:
        for board in boards.values():
            errors += validate.sdk_round_trip_errors(board)
    except ImportError:
        print("note: grafana-foundation-sdk is not installed (dev extra); typed check skipped")
    errors += [f"stale: {p} (run `yiju dashboards build`)" for p in build.stale()]
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 1
    print(f"{len(boards)} boards valid and up to date: {', '.join(sorted(boards))}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from dashboards.seed import seed

    settings = get_settings()
    registry = load_registry(args.registry or settings.registry_file())
    plans = PlanStore(settings.data_dir).list()
    with InfluxClient.from_settings(settings) as influx:
        communities, unserved = seed(influx, registry, now_ms(), plans)
    print(f"wrote {communities} communities and {unserved} unserved stops to {settings.influx_db}")
    return 0


def cmd_probe(args: argparse.Namespace) -> int:
    from dashboards.probe import evaluate_rules, probe_board

    selections: dict[str, list[str]] = {}
    for item in args.var:
        name, _, values = item.partition("=")
        selections[name] = values.split(",")
    now = now_ms()
    failed = 0
    settings = get_settings()
    board_time = TimeRange.parse(args.start, args.end, now, settings.tz)
    with InfluxClient.from_settings(settings, reader=True) as influx:
        for name, board in build.boards().items():
            result = probe_board(influx, board, board_time, selections)
            for title, panel in result.panels.items():
                rows = sum(len(f.rows) for f in panel.frames)
                print(f"{name:14} {title:50} {rows:6} rows")
            failed += len(result.empty_panels())
        firing = evaluate_rules(influx, _load(build.PROVISIONING / "alerting" / "yiju.yaml"))
    for alert in firing:
        print(f"firing {alert.rule_uid}: {dict(alert.labels)}")
    print(f"{failed} panels returned nothing; {len(firing)} alert instances firing")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    from dashboards.push import InfluxTarget, connect, push

    settings = get_settings()
    url = args.url or settings.grafana_url
    token = args.token or _secret(settings.grafana_token)
    influx_token = args.influx_token or _secret(settings.influx_token)
    if not url or not token:
        print(
            "yiju: error: Grafana's URL and token are required: --url/--token or "
            "YIJU_GRAFANA_URL/YIJU_GRAFANA_TOKEN",
            file=sys.stderr,
        )
        return 2
    password = None if influx_token else settings.secret("influx_reader_password")
    target = InfluxTarget(
        url=args.influx_url,
        database=args.influx_db or settings.influx_db,
        user=settings.influx_reader_user,
        password=password,
        token=influx_token,
    )
    done = push(connect(url, token), target)
    print(", ".join(f"{k}: {v}" for k, v in done.items()))
    return 0


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
