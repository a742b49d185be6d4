"""`yiju dashboards push`: the requests grafana-client sends, recorded by a small HTTP
server that answers like Grafana's API (no Grafana can run here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from dashboards import alerts
from dashboards.push import (
    PLAYLIST_UID,
    InfluxTarget,
    connect,
    dashboard_payloads,
    playlist_payload,
    push,
)


@dataclass
class Recorder:
    """What was asked, and which uids exist (GETs of others answer 404)."""

    existing: set[str] = field(default_factory=set)
    requests: list[tuple[str, str, Any, str]] = field(default_factory=list)


def _handler(recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            auth = self.headers.get("Authorization", "")
            recorder.requests.append((self.command, self.path, body, auth))
            uid = self.path.rstrip("/").rsplit("/", 1)[-1]
            status = 404 if self.command == "GET" and uid not in recorder.existing else 200
            payload = json.dumps({"message": "not found"} if status == 404 else {"uid": uid})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload.encode())

        do_GET = do_POST = do_PUT = _answer  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def grafana() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", recorder
    server.shutdown()
    server.server_close()


READER = InfluxTarget("http://influxdb:8086", "yiju", "yiju_reader", password="s3cret")


def test_first_push_creates_everything(grafana: tuple[str, Recorder]) -> None:
    """Into an empty Grafana: folder, datasource, three boards, three alert rules and the
    wall's playlist are created, with the service-account token on every request."""
    url, rec = grafana
    done = push(connect(url, "glsa_token"), READER)
    assert done == {
        "folder": 1, "datasource": 1, "dashboards": 3, "alert_rules": 3, "playlist": 1
    }  # fmt: skip
    assert all(auth == "Bearer glsa_token" for *_, auth in rec.requests)
    calls = [(m, p) for m, p, _, _ in rec.requests]
    assert calls[:4] == [
        ("GET", "/api/folders/yiju"),
        ("POST", "/api/folders"),
        ("GET", "/api/datasources/uid/yiju-influxdb"),
        ("POST", "/api/datasources"),
    ]
    assert calls.count(("POST", "/api/dashboards/db")) == 3
    assert calls.count(("POST", "/api/v1/provisioning/alert-rules")) == 3

    bodies = {p: b for m, p, b, _ in rec.requests if m == "POST" and p != "/api/dashboards/db"}
    assert bodies["/api/folders"] == {"title": "yiju", "uid": "yiju"}
    ds = bodies["/api/datasources"]
    assert (ds["uid"], ds["type"], ds["url"], ds["user"]) == (
        "yiju-influxdb", "influxdb", "http://influxdb:8086", "yiju_reader"
    )  # fmt: skip
    assert ds["jsonData"]["dbName"] == "yiju"
    assert ds["jsonData"]["version"] == "InfluxQL"
    assert ds["secureJsonData"] == {"password": "s3cret"}

    boards = [b for m, p, b, _ in rec.requests if p == "/api/dashboards/db"]
    assert boards == dashboard_payloads()
    assert {b["dashboard"]["uid"] for b in boards} == {
        "yiju-district-wall", "yiju-community", "yiju-dispatch"
    }  # fmt: skip
    assert all(b["folderUid"] == "yiju" and b["overwrite"] for b in boards)

    rules = [b for m, p, b, _ in rec.requests if p == "/api/v1/provisioning/alert-rules"]
    assert rules == alerts.rules_for_api()
    for rule in rules:
        assert rule["folderUID"] == "yiju"
        assert rule["data"][0]["datasourceUid"] == "yiju-influxdb"
        assert "{{ $labels.subject }}" in rule["annotations"]["description"]
    assert bodies["/api/playlists"] == playlist_payload()


def test_second_push_updates_in_place(grafana: tuple[str, Recorder]) -> None:
    """When folder, datasource and rules exist, the datasource and rules are updated by
    uid (PUT) and nothing is created twice."""
    url, rec = grafana
    rec.existing |= {"yiju", "yiju-influxdb", PLAYLIST_UID, *(r.uid for r in alerts.RULES)}
    push(connect(url, "glsa_token"), READER)
    calls = [(m, p) for m, p, _, _ in rec.requests]
    assert ("POST", "/api/folders") not in calls
    assert ("POST", "/api/datasources") not in calls
    assert ("PUT", "/api/datasources/uid/yiju-influxdb") in calls
    for rule in alerts.RULES:
        assert ("PUT", f"/api/v1/provisioning/alert-rules/{rule.uid}") in calls
    assert ("POST", "/api/v1/provisioning/alert-rules") not in calls
    assert ("PUT", f"/api/playlists/{PLAYLIST_UID}") in calls
    assert calls.count(("POST", "/api/dashboards/db")) == 3  # overwrite=True upserts


def test_token_datasource_for_influxdb_2_and_3() -> None:
    """With a token, the datasource sends `Authorization: Token …` and no user/password."""
    body = InfluxTarget("http://influx:8086", "yiju", token="tok").datasource()
    assert "user" not in body
    assert body["jsonData"]["httpHeaderName1"] == "Authorization"
    assert body["secureJsonData"] == {"httpHeaderValue1": "Token tok"}


def test_datasource_needs_a_credential() -> None:
    """Neither password nor token is refused with a message saying what is needed."""
    with pytest.raises(ValueError, match="reader's password"):
        InfluxTarget("http://influx:8086", "yiju")
