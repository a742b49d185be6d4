"""Local services: real Mosquitto and InfluxDB started by the project, with auth and ACLs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest

from core import credentials
from core.registry import Registry
from tests.conftest import MqttFactory, wait_until
from yiju.localservices import LocalStack, free_port


def _collect(client: mqtt.Client, topic: str) -> tuple[list[bytes], threading.Event]:
    got: list[bytes] = []
    subscribed = threading.Event()
    client.on_message = lambda _c, _u, msg: got.append(msg.payload)
    client.on_subscribe = lambda *_args: subscribed.set()
    client.subscribe(topic, qos=1)
    assert subscribed.wait(5), "subscription was not acknowledged"
    return got, subscribed


def test_publish_subscribe_round_trip(mqtt_connect: MqttFactory) -> None:
    """A service account's QoS 1 messages reach a subscriber through the real broker."""
    sub = mqtt_connect(credentials.INGEST)
    got, _ = _collect(sub, "yiju/v1/telemetry/#")
    pub = mqtt_connect(credentials.SIMULATOR)
    for i in range(50):
        pub.publish(f"yiju/v1/telemetry/bin/dev-{i}", f'{{"fill_pct": {i}}}', qos=1)
    assert wait_until(lambda: len(got) == 50)
    assert sorted(int(p.split(b": ")[1].rstrip(b"}")) for p in got) == list(range(50))


@pytest.mark.parametrize(
    ("user", "password"),
    [(None, None), (credentials.INGEST, "wrong-password"), ("nobody", "x")],
)
def test_anonymous_and_wrong_passwords_are_refused(
    local_stack: LocalStack, user: str | None, password: str | None
) -> None:
    """The broker refuses anonymous clients, wrong passwords and unknown users."""
    s = local_stack.settings
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        protocol=mqtt.MQTTv5,
        client_id=f"t-{uuid.uuid4().hex[:6]}",
    )
    if user is not None:
        client.username_pw_set(user, password)
    codes: list[object] = []
    client.on_connect = lambda _c, _u, _f, rc, _p: codes.append(rc)
    client.connect(s.mqtt_host, s.mqtt_port)
    client.loop_start()
    try:
        assert wait_until(lambda: bool(codes))
        assert codes[0].is_failure  # type: ignore[attr-defined]
        assert "authori" in str(codes[0]).lower() or "password" in str(codes[0]).lower()
    finally:
        client.loop_stop()


def test_device_may_publish_only_on_its_own_topics(
    mqtt_connect: MqttFactory, small_district: Registry
) -> None:
    """A device's own topic is delivered; another device's topic is not."""
    bins = [p.sensor.device_id for p in small_district.collection_points if p.sensor]
    mine, other = bins[0], bins[1]
    sub = mqtt_connect(credentials.INGEST)
    got, _ = _collect(sub, "yiju/v1/telemetry/bin/#")
    device = mqtt_connect(mine)
    device.publish(f"yiju/v1/telemetry/bin/{other}", b'{"fill_pct": 66}', qos=1).wait_for_publish(5)
    device.publish(f"yiju/v1/telemetry/bin/{mine}", b'{"fill_pct": 11}', qos=1).wait_for_publish(5)
    assert wait_until(lambda: len(got) >= 1)
    time.sleep(0.3)
    assert got == [b'{"fill_pct": 11}']


def test_mosquitto_pub_and_sub_with_a_service_account(local_stack: LocalStack) -> None:
    """The Debian clients work against the broker with a service account's password."""
    s = local_stack.settings
    auth = [
        "-h",
        s.mqtt_host,
        "-p",
        str(s.mqtt_port),
        "-u",
        credentials.OPTIMIZER,
        "-P",
        credentials.service_password(s, credentials.OPTIMIZER),
    ]
    # A topic of its own: other tests leave retained routes on the dispatch topics.
    topic = f"yiju/v1/dispatch/trk-test-{uuid.uuid4().hex[:8]}"
    sub = subprocess.Popen(
        ["mosquitto_sub", *auth, "-t", topic, "-C", "1", "-W", "10", "-q", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)
    subprocess.run(
        ["mosquitto_pub", *auth, "-t", topic, "-m", "route", "-q", "1"],
        check=True,
        timeout=15,
    )
    out, _ = sub.communicate(timeout=15)
    assert out.strip() == "route"


def test_influxdb_ping_answers(local_stack: LocalStack) -> None:
    """InfluxDB's /ping answers 204 with its version."""
    resp = httpx.get(f"{local_stack.settings.influx_url}/ping", timeout=10)
    assert resp.status_code == 204
    assert resp.headers["X-Influxdb-Version"].startswith("1.")


def _yiju(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yiju", *args], env=env, capture_output=True, text=True, timeout=90
    )


def _own_services_env(data_dir: Path) -> dict[str, str]:
    """The environment of a `yiju` with its own data folder and free ports."""
    env = dict(
        os.environ,
        YIJU_DATA_DIR=str(data_dir),
        YIJU_MQTT_PORT=str(free_port()),
        YIJU_INFLUX_URL=f"http://127.0.0.1:{free_port()}",
    )
    env.pop("YIJU_REGISTRY_PATH", None)
    return env


def _our_processes(marker: str) -> list[str]:
    out = subprocess.run(
        ["ps", "-eww", "-o", "args"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eww" not in line]


def test_cli_up_status_down_leaves_no_process(tmp_path: Path) -> None:
    """`yiju services up` starts both, `status` sees them, `down` leaves nothing behind."""
    data_dir = tmp_path / "var"
    env = _own_services_env(data_dir)
    try:
        up = _yiju(env, "services", "up")
        assert up.returncode == 0, up.stderr
        assert "mosquitto" in up.stdout
        assert "influxdb" in up.stdout
        status = _yiju(env, "services", "status")
        assert status.returncode == 0, status.stdout
        assert len(_our_processes(str(data_dir))) == 2
        again = _yiju(env, "services", "up")  # idempotent: no second pair
        assert again.returncode == 0, again.stderr
        assert len(_our_processes(str(data_dir))) == 2
    finally:
        down = _yiju(env, "services", "down")
    assert down.returncode == 0, down.stderr
    assert "mosquitto" in down.stdout
    assert _our_processes(str(data_dir)) == []
    after = _yiju(env, "services", "status")
    assert after.returncode == 1
    assert "down" in after.stdout


def test_up_refuses_a_port_taken_by_another_process(tmp_path: Path) -> None:
    """A port held by a server that is not ours stops `up` with a clear message."""
    import socket

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    taken = holder.getsockname()[1]
    env = dict(
        os.environ,
        YIJU_DATA_DIR=str(tmp_path / "var"),
        YIJU_MQTT_PORT=str(taken),
        YIJU_INFLUX_URL=f"http://127.0.0.1:{free_port()}",
    )
    try:
        up = _yiju(env, "services", "up")
        assert up.returncode == 2
        assert f"127.0.0.1:{taken} is already in use" in up.stderr
    finally:
        _yiju(env, "services", "down")
        holder.close()
    assert _our_processes(str(tmp_path / "var")) == []


def _device_connects(env: dict[str, str], device: str) -> bool:
    """Whether the broker of `env` accepts `device` with its derived password."""
    from core.settings import Settings

    settings = Settings(
        data_dir=Path(env["YIJU_DATA_DIR"]),
        mqtt_port=int(env["YIJU_MQTT_PORT"]),
    ).with_dev_secrets()
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        protocol=mqtt.MQTTv5,
        client_id=f"t-{uuid.uuid4().hex[:6]}",
    )
    client.username_pw_set(device, credentials.device_password(settings, device))
    codes: list[object] = []
    client.on_connect = lambda _c, _u, _f, rc, _p: codes.append(rc)
    client.connect(settings.mqtt_host, settings.mqtt_port)
    client.loop_start()
    try:
        assert wait_until(lambda: bool(codes)), "no CONNACK from the broker"
        return not codes[0].is_failure  # type: ignore[attr-defined]
    finally:
        client.disconnect()
        client.loop_stop()


def _devices(path: Path) -> set[str]:
    from core.registry import load_registry

    return set(load_registry(path).devices)


def test_a_generated_district_gets_broker_accounts(tmp_path: Path) -> None:
    """`district generate` then `services up`, with no `--registry`, lets a device in;
    generating another district while the broker runs lets that one's devices in too."""
    data_dir = tmp_path / "var"
    env = _own_services_env(data_dir)
    try:
        first = _yiju(env, "district", "generate", "--scale", "0.02", "--seed", "3")
        assert first.returncode == 0, first.stderr
        assert "next `yiju services up`" in first.stdout
        before = _devices(data_dir / "district.json")
        up = _yiju(env, "services", "up")
        assert up.returncode == 0, up.stderr
        assert _device_connects(env, sorted(before)[0])

        second = _yiju(env, "district", "generate", "--scale", "0.04", "--seed", "5")
        assert second.returncode == 0, second.stderr
        assert "local broker reloaded" in second.stdout
        new = sorted(_devices(data_dir / "district.json") - before)
        assert new, "the second district should have devices the first has not"
        assert _device_connects(env, new[0])
        assert not _device_connects(env, "bin-no-such-device")
    finally:
        _yiju(env, "services", "down")
