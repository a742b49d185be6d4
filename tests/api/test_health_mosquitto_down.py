"""`/health` when Mosquitto is not there: the API itself is alive, so 200 (the
contract's liveness check), with `status` degraded and Mosquitto named as the
service that does not answer, at its address; InfluxDB, which answers, stays ok."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.auth import KeyRing
from api.main import create_app
from core.influx import InfluxClient
from core.settings import Settings
from tests.api.dataset import Case
from yiju.localservices import free_port


def _health(settings: Settings, case: Case, influx: InfluxClient) -> tuple[int, Any]:
    app = create_app(settings, case.registry, influx=influx, keys=KeyRing([]))
    with TestClient(app, raise_server_exceptions=False) as client:
        resp = client.get("/api/v1/health")
    return resp.status_code, resp.json()


@contextmanager
def _impostor(behaviour: str) -> Iterator[int]:
    """A port on 127.0.0.1 held by something that is not an MQTT broker: it answers
    the CONNECT with an HTTP error (`http`), or accepts and stays silent (`silent`)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            if behaviour == "http":
                conn.settimeout(5)
                conn.recv(64)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, name=f"impostor-{behaviour}", daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()
    assert not thread.is_alive(), "the impostor's accept loop did not stop within 5 s"


def _assert_mosquitto_down(status: int, body: Any, detail: str) -> None:
    assert status == 200, body
    assert body["status"] == "degraded"
    assert body["influxdb"]["ok"] is True, body["influxdb"]
    assert body["mosquitto"] == {"ok": False, "detail": detail}


def test_nothing_on_the_broker_port(
    api_settings: Settings, case: Case, case_db: InfluxClient
) -> None:
    """No process listens where Mosquitto should: connection refused, named."""
    port = free_port()
    status, body = _health(api_settings.model_copy(update={"mqtt_port": port}), case, case_db)
    _assert_mosquitto_down(
        status,
        body,
        f"Mosquitto at 127.0.0.1:{port} does not answer: [Errno 111] Connection refused",
    )


@pytest.mark.parametrize(
    ("behaviour", "problem"),
    [("http", "answered, but not as an MQTT broker"), ("silent", "does not answer: timed out")],
)
def test_something_else_on_the_broker_port(
    api_settings: Settings, case: Case, case_db: InfluxClient, behaviour: str, problem: str
) -> None:
    """Another server on the port, or one that never answers (the check gives up after
    its one-second timeout): Mosquitto is down all the same."""
    with _impostor(behaviour) as port:
        settings = api_settings.model_copy(update={"mqtt_port": port})
        status, body = _health(settings, case, case_db)
    _assert_mosquitto_down(status, body, f"Mosquitto at 127.0.0.1:{port} {problem}")
