"""`yiju services up|down|status`: the local Mosquitto and InfluxDB."""

from __future__ import annotations

import argparse
from pathlib import Path

from core import credentials
from core.registry import load_registry
from core.settings import get_settings
from yiju.localservices import LocalStack
from yiju.localservices.mosquitto import export_broker_files


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("services", help="start, stop or inspect local Mosquitto and InfluxDB")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = actions.add_parser("up", help="start both and wait until they answer")
    up.add_argument(
        "--registry",
        type=Path,
        help="give every device of this registry a broker account "
        "(default: the district file, when it exists)",
    )
    up.set_defaults(func=cmd_up)
    down = actions.add_parser("down", help="stop the processes `up` started")
    down.set_defaults(func=cmd_down)
    status = actions.add_parser("status", help="show whether each service runs and answers")
    status.set_defaults(func=cmd_status)
    password = actions.add_parser(
        "password", help="print the MQTT password of an account (service, gateway or device)"
    )
    password.add_argument("account", help="e.g. svc-ingest, gw-guicheng, bin-gc-c001-p01")
    password.set_defaults(func=cmd_password)
    export = actions.add_parser(
        "export-broker", help="write mosquitto.conf, passwd and acl for docker-compose.yml"
    )
    export.add_argument("--out", type=Path, default=Path("var/deploy/mosquitto"))
    export.add_argument("--registry", type=Path)
    export.set_defaults(func=cmd_export_broker)


def _stack(registry_path: Path | None = None) -> LocalStack:
    settings = get_settings()
    path = registry_path or settings.registry_file()
    registry = load_registry(path) if path.exists() else None
    return LocalStack(settings, registry)


def cmd_up(args: argparse.Namespace) -> int:
    stack = _stack(args.registry)
    stack.up()
    for state in stack.status():
        print(f"{state.name:10} up    pid {state.pid:<7} {state.address}")
    devices = len(stack.registry.devices) if stack.registry else 0
    print(
        f"broker accounts: services, gateways and {devices} devices; "
        f"secrets in {stack.settings.data_dir / 'secrets.env'}"
    )
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    stopped = LocalStack(get_settings()).down()
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    states = LocalStack(get_settings()).status()
    for s in states:
        word = "up" if s.running and s.answers else ("starting" if s.running else "down")
        pid = f"pid {s.pid}" if s.pid else ""
        print(f"{s.name:10} {word:8} {pid:12} {s.address}")
    return 0 if all(s.running and s.answers for s in states) else 1


def cmd_export_broker(args: argparse.Namespace) -> int:
    stack = _stack(args.registry)
    count = export_broker_files(stack.settings, stack.registry, args.out)
    print(f"wrote {args.out}/mosquitto.conf, passwd ({count} accounts) and acl")
    return 0


def cmd_password(args: argparse.Namespace) -> int:
    settings = get_settings()
    name: str = args.account
    if name in credentials.SERVICE_ACCOUNTS or name.startswith("gw-"):
        print(credentials.service_password(settings, name))
    else:
        print(credentials.device_password(settings, name))
    return 0
