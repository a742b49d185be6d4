"""The local stack: Mosquitto and InfluxDB together, as `yiju services` and tests use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.registry import Registry
from core.settings import Settings
from yiju.localservices.influxdb import InfluxService
from yiju.localservices.mosquitto import MosquittoService


@dataclass
class ServiceState:
    name: str
    running: bool
    pid: int | None
    answers: bool
    address: str


@dataclass
class LocalStack:
    settings: Settings
    registry: Registry | None = None
    influx_rpc_port: int | None = None
    mosquitto: MosquittoService = field(init=False)
    influxdb: InfluxService = field(init=False)

    def __post_init__(self) -> None:
        self.mosquitto = MosquittoService(self.settings, self.registry)
        self.influxdb = InfluxService(self.settings, self.influx_rpc_port)

    def up(self) -> None:
        """Start both (idempotent) and wait until both answer."""
        self.influxdb.start()
        self.mosquitto.start()

    def down(self) -> list[str]:
        """Stop both; returns the names of the processes that were stopped."""
        stopped = []
        if self.mosquitto.stop():
            stopped.append("mosquitto")
        if self.influxdb.stop():
            stopped.append("influxdb")
        return stopped

    def status(self) -> list[ServiceState]:
        s = self.settings
        return [
            ServiceState(
                "mosquitto",
                self.mosquitto.process.running(),
                self.mosquitto.process.pid(),
                self.mosquitto.ready(),
                f"mqtt://{s.mqtt_host}:{s.mqtt_port}",
            ),
            ServiceState(
                "influxdb",
                self.influxdb.process.running(),
                self.influxdb.process.pid(),
                self.influxdb.ready(),
                s.influx_url,
            ),
        ]

    def set_registry(self, registry: Registry) -> int:
        """Give the broker accounts for every device of `registry` (reloads if running)."""
        self.registry = registry
        self.mosquitto.registry = registry
        return self.mosquitto.reload_accounts()
