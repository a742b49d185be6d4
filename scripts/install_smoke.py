"""Checks a plain install of yiju (the wheel, no extras) the way a deployment uses it.

Run by scripts/check_install.sh with the fresh environment's Python, from a folder
outside the checkout so that every import comes from the installed wheel:

1. every module of every package imports;
2. `yiju --help` and every subcommand's `--help` exit 0;
3. against its own Mosquitto and InfluxDB (`yiju services up`, free ports): `yiju
   ingest` stores one reading a device publishes, and `yiju api` answers
   `/api/v1/health` and serves that reading back.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt

PACKAGES = ("core", "simulators", "ingest", "optimizer", "api", "dashboards", "yiju")
WAIT_S = 90.0


def say(text: str) -> None:
    print(f"[install] {text}", flush=True)


def fail(text: str) -> None:
    print(f"[install] FAILED: {text}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def import_everything() -> int:
    count = 0
    for name in PACKAGES:
        package = importlib.import_module(name)
        location = Path(package.__file__ or "").resolve()
        if "site-packages" not in location.parts:
            fail(f"{name} was imported from {location}, not from the installed wheel")
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            if module.name.endswith("__main__"):
                continue
            importlib.import_module(module.name)
            count += 1
    return count


def command_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    """Every command path of the parser: (), ("services",), ("services", "up"), ..."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += command_paths(sub, (*prefix, name))
    return paths


def yiju(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["yiju", *args], env=env, capture_output=True, text=True, timeout=300)
    if check and done.returncode != 0:
        fail(f"`yiju {' '.join(args)}` exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done


def every_help(env: dict[str, str]) -> int:
    from yiju.cli import build_parser

    paths = command_paths(build_parser())
    for path in paths:
        yiju(env, *path, "--help")
    return len(paths)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, probe: object) -> object:
    deadline = time.monotonic() + WAIT_S
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = probe()  # type: ignore[operator]
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.5)
    fail(f"{what} within {WAIT_S:.0f} s (last: {last!r})")
    return None


def publish_as_device(env: dict[str, str], device: str, body: dict[str, object]) -> None:
    password = yiju(env, "services", "password", device).stdout.strip()
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"smoke-{device}", protocol=mqtt.MQTTv5
    )
    client.username_pw_set(device, password)
    client.connect("127.0.0.1", int(env["YIJU_MQTT_PORT"]))
    client.loop_start()
    try:
        info = client.publish(f"yiju/v1/telemetry/bin/{device}", json.dumps(body), qos=1)
        info.wait_for_publish(timeout=30)
        if not info.is_published():
            fail("the broker did not acknowledge the device's reading")
    finally:
        client.disconnect()
        client.loop_stop()


def round_trip(work: Path) -> None:
    key = secrets.token_urlsafe(18)
    api_port = free_port()
    env = dict(
        os.environ,
        YIJU_DATA_DIR=str(work / "var"),
        YIJU_MQTT_PORT=str(free_port()),
        YIJU_INFLUX_URL=f"http://127.0.0.1:{free_port()}",
        YIJU_API_PORT=str(api_port),
        YIJU_API_KEYS=f"smoke:office:{key}",
    )
    env.pop("YIJU_REGISTRY_PATH", None)
    yiju(env, "district", "generate", "--scale", "0.02", "--seed", "1")
    registry = json.loads((work / "var" / "district.json").read_text(encoding="utf-8"))
    device = registry["collection_points"][0]["sensor"]["device_id"]
    yiju(env, "services", "up")
    logs = work / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name in ("ingest", "api"):
            with (logs / f"{name}.log").open("wb") as out:
                processes.append(
                    subprocess.Popen(["yiju", name], env=env, stdout=out, stderr=subprocess.STDOUT)
                )
        base = f"http://127.0.0.1:{api_port}/api/v1"
        health = wait_for(
            "`yiju api` answering /api/v1/health",
            lambda: (r := httpx.get(f"{base}/health", timeout=5)).status_code == 200 and r.json(),
        )
        say(f"yiju api: /health answered {health}")
        # Ingest subscribes once it has started; a reading published before that is
        # kept for its persistent session, but waiting keeps the check simple.
        ingest_log = logs / "ingest.log"
        wait_for("`yiju ingest` connected", lambda: "ingest running" in ingest_log.read_text())
        fill = 61.5
        publish_as_device(env, device, {"ts": int(time.time() * 1000), "fill_pct": fill})
        headers = {"Authorization": f"Bearer {key}"}

        def stored() -> object:
            r = httpx.get(f"{base}/devices/{device}/latest", headers=headers, timeout=5)
            return r.status_code == 200 and r.json()

        latest = wait_for(f"the API serving {device}'s reading stored by ingest", stored)
        got = latest.get("fields", {}).get("fill_pct") if isinstance(latest, dict) else None
        if got != fill:
            fail(f"the API answered {latest}, not the published fill {fill}")
        say(f"yiju ingest stored {device}'s reading; the API served it: {latest}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        yiju(env, "services", "down", check=False)
        for log in sorted(logs.glob("*.log")) if logs.exists() else []:
            tail = log.read_text(errors="replace").splitlines()[-5:]
            say(f"{log.name}: " + " | ".join(tail))


def main() -> None:
    work = Path(sys.argv[1]).resolve()
    say(f"imported {import_everything()} modules from the installed wheel")
    env = dict(os.environ, YIJU_DATA_DIR=str(work / "help-var"))
    say(f"`--help` of {every_help(env)} commands exits 0")
    round_trip(work)
    say("plain install: OK")


if __name__ == "__main__":
    main()
