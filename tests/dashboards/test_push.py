"""`yiju dashboards push`: the requests grafana-client sends, recorded by a small HTTP
server that answers like Grafana's API (no Grafana can run here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from dashboards import alerts
from dashboards.push import PLAYLIST_UID, InfluxTarget, connect, push

# The committed files Grafana reads when provisioned (docker-compose mounts them):
# what a push sends must be the same.
DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def _yaml_file(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (DASHBOARDS / "provisioning" / kind / "yiju.yaml").read_text(encoding="utf-8")
    )
    return data


def _substitute(value: Any, filled: dict[str, Any]) -> Any:
    """`value` with every string equal to a key of `filled` replaced by its value."""
    if isinstance(value, dict):
        return {k: _substitute(v, filled) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, filled) for v in value]
    return filled.get(value, value) if isinstance(value, str) else value


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
    # The datasource is the provisioned one with what Grafana's environment fills in
    # there (the $VARIABLES) given by the push's target.
    provisioned = _yaml_file("datasources")["datasources"]
    assert len(provisioned) == 1
    filled = {
        "$YIJU_INFLUX_URL": READER.url,
        "$YIJU_INFLUX_READER_USER": READER.user,
        "$YIJU_INFLUX_DB": READER.database,
        "$YIJU_INFLUX_READER_PASSWORD": READER.password,
    }
    assert bodies["/api/datasources"] == _substitute(provisioned[0], filled)
    assert bodies["/api/datasources"]["secureJsonData"] == {"password": "s3cret"}

    # Each board as built on disk (the id left to Grafana), valid against the schema.
    validator = jsonschema.Draft202012Validator(
        json.loads((DASHBOARDS / "dashboard.schema.json").read_text(encoding="utf-8"))
    )
    built = {
        board["uid"]: board
        for board in (
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted((DASHBOARDS / "built").glob("*.json"))
        )
    }
    assert len(built) == 3
    provider = _yaml_file("dashboards")["providers"][0]
    pushed = [b for m, p, b, _ in rec.requests if p == "/api/dashboards/db"]
    assert sorted(b["dashboard"]["uid"] for b in pushed) == sorted(built)
    for body in pushed:
        board = body["dashboard"]
        assert board["id"] is None
        assert [e.message for e in validator.iter_errors(board)] == []
        assert {k: v for k, v in board.items() if k != "id"} == built[board["uid"]]
        assert (body["folderUid"], body["overwrite"]) == (provider["folderUid"], True)

    # The alert rules as provisioned, in the API's form: the group's folder, name and
    # org on each, and the templates' `$$` (escaped from Grafana's environment
    # expansion in files) back to `$`.
    group = _yaml_file("alerting")["groups"][0]
    want_rules = [
        {
            **rule,
            "annotations": {k: v.replace("$$", "$") for k, v in rule["annotations"].items()},
            "folderUID": provider["folderUid"],
            "ruleGroup": group["name"],
            "orgID": group["orgId"],
        }
        for rule in group["rules"]
    ]
    rules = [b for m, p, b, _ in rec.requests if p == "/api/v1/provisioning/alert-rules"]
    assert rules == want_rules
    for rule in rules:
        assert rule["data"][0]["datasourceUid"] == provisioned[0]["uid"]
        assert "{{ $labels.subject }}" in rule["annotations"]["description"]

    # The wall's playlist: the district wall and the dispatch board, a minute each.
    assert bodies["/api/playlists"] == {
        "uid": PLAYLIST_UID,
        "name": "yiju wall",
        "interval": "1m",
        "items": [
            {"type": "dashboard_by_uid", "value": "yiju-district-wall"},
            {"type": "dashboard_by_uid", "value": "yiju-dispatch"},
        ],
    }
    assert {item["value"] for item in bodies["/api/playlists"]["items"]} <= set(built)


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
