"""Session fixtures: real Mosquitto and InfluxDB on free ports, started with the
same code as `yiju services up`. When they cannot start, tests fail with a
message that says what to install; they never skip."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from core import credentials
from core.influx import InfluxClient
from core.registry import Registry
from core.settings import Settings, get_settings
from simulators.district import generate_district
from yiju.localservices import LocalStack, ServiceError, free_port
from yiju.localservices.influxdb import InfluxService

INSTALL_HINT = (
    "tests need Debian's mosquitto and influxdb packages: "
    "apt-get install -y mosquitto mosquitto-clients influxdb (the README's test command "
    "does this)"
)


@pytest.fixture(autouse=True)
def settings_built_afresh() -> Iterator[None]:
    """`get_settings()` is cached for the process: a test that runs a command in-process
    neither gets the settings an earlier test's environment made nor leaves its own."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def small_district() -> Registry:
    """A scale-0.02 Nanhai: seven towns, one community each, ~240 collection points."""
    return generate_district(scale=0.02, seed=7)


def settings_on_free_ports(data_dir: Path) -> Settings:
    """Test settings with their own data folder and free broker and database ports."""
    return Settings(
        env="test",
        data_dir=data_dir,
        mqtt_port=free_port(),
        influx_url=f"http://127.0.0.1:{free_port()}",
    ).with_dev_secrets()


@contextmanager
def running_stack(settings: Settings, registry: Registry) -> Iterator[LocalStack]:
    """Mosquitto and InfluxDB started for `registry`'s accounts, stopped afterwards;
    a test fails (with the install hint) when they cannot start."""
    stack = LocalStack(settings, registry, influx_rpc_port=free_port())
    try:
        stack.up()
    except ServiceError as exc:
        stack.down()
        pytest.fail(f"could not start the local services: {exc}\n{INSTALL_HINT}", pytrace=False)
    try:
        yield stack
    finally:
        stack.down()


@pytest.fixture
def stopped_influx(tmp_path: Path) -> Settings:
    """Settings of an InfluxDB of the test's own that ran, took a write, and was stopped."""
    settings = settings_on_free_ports(tmp_path / "var")
    service = InfluxService(settings, rpc_port=free_port())
    try:
        service.start()
    except ServiceError as exc:
        pytest.fail(f"could not start InfluxDB: {exc}\n{INSTALL_HINT}", pytrace=False)
    try:
        with InfluxClient.from_settings(settings) as client:
            client.write_lines(["probe value=1"])
    finally:
        service.stop()
    return settings


@pytest.fixture(scope="session")
def service_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return settings_on_free_ports(tmp_path_factory.mktemp("services") / "var")


@pytest.fixture(scope="session")
def local_stack(service_settings: Settings, small_district: Registry) -> Iterator[LocalStack]:
    """Mosquitto and InfluxDB for the whole test session, with broker accounts for
    every device of `small_district`."""
    with running_stack(service_settings, small_district) as stack:
        yield stack


@pytest.fixture
def influx_db(local_stack: LocalStack) -> Iterator[InfluxClient]:
    """An InfluxDB client (admin account) on a fresh, empty database, dropped afterwards."""
    s = local_stack.settings
    client = InfluxClient(
        s.influx_url,
        f"test_{uuid.uuid4().hex[:12]}",
        user=s.influx_admin_user,
        password=s.secret("influx_admin_password"),
    )
    client.create_database()
    yield client
    client.drop_database()
    client.close()


MqttFactory = Callable[..., mqtt.Client]


@pytest.fixture
def mqtt_connect(local_stack: LocalStack) -> Iterator[MqttFactory]:
    """Factory of connected paho clients (MQTT v5, loop running); all closed afterwards.

    `mqtt_connect(user, password=None)`: the password defaults to the account's
    derived one (service accounts and gateways by name, else a device id)."""
    settings = local_stack.settings
    clients: list[mqtt.Client] = []

    def connect(
        user: str = credentials.SIMULATOR, password: str | None = None, timeout: float = 5.0
    ) -> mqtt.Client:
        if password is None:
            is_service = user in credentials.SERVICE_ACCOUNTS or user.startswith("gw-")
            password = (
                credentials.service_password(settings, user)
                if is_service
                else credentials.device_password(settings, user)
            )
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(user, password)
        client.connect(settings.mqtt_host, settings.mqtt_port)
        client.loop_start()
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.disconnect()
        client.loop_stop()


def clear_retained_status(settings: Settings, registry: Registry) -> None:
    """Remove the cameras' retained statuses a simulated day leaves on the shared
    broker, so the next tests' subscribers do not receive them."""
    from yiju.district_run import clear_camera_statuses

    clear_camera_statuses(settings, registry)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, step: float = 0.05) -> bool:
    """Poll `predicate` until it holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


@pytest.fixture
def clears_retained_status(local_stack: LocalStack, small_district: Registry) -> Iterator[None]:
    """For a test that simulates a day: afterwards, the retained camera statuses it
    left are removed, so later tests' subscribers do not receive them."""
    yield
    clear_retained_status(local_stack.settings, small_district)
