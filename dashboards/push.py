"""`yiju dashboards push`: upsert the folder, datasource, boards and alert rules into a
running Grafana through its HTTP API (grafana-client), for installations that do
not mount the provisioning folder.

Each step reads first and then creates or updates, so pushing twice changes
nothing the second time; every request goes through grafana-client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError

from dashboards import alerts, provisioning
from dashboards.build import boards

log = logging.getLogger("yiju.dashboards")
Json = dict[str, Any]


@dataclass(frozen=True)
class InfluxTarget:
    """How Grafana reaches InfluxDB (its own view: in docker-compose, http://influxdb:8086)."""

    url: str
    database: str
    user: str = "yiju_reader"
    password: str | None = None
    token: str | None = None

    def __post_init__(self) -> None:
        if not self.token and not self.password:
            raise ValueError(
                "the datasource needs the InfluxDB reader's password (1.x) or a token (2.x/3.x)"
            )

    def datasource(self) -> Json:
        if self.token:
            # 2.x/3.x serve InfluxQL on /query with the token in the Authorization header.
            body = provisioning.datasource_for_api(self.url, self.database, "", "")
            body.pop("user")
            body["jsonData"] = {**body["jsonData"], "httpHeaderName1": "Authorization"}
            body["secureJsonData"] = {"httpHeaderValue1": f"Token {self.token}"}
            return body
        assert self.password is not None
        return provisioning.datasource_for_api(self.url, self.database, self.user, self.password)


def dashboard_payloads() -> list[Json]:
    """The bodies of `POST /api/dashboards/db`, one per board."""
    return [
        {
            "dashboard": {**board, "id": None},
            "folderUid": provisioning.FOLDER_UID,
            "overwrite": True,
            "message": "yiju dashboards push",
        }
        for board in boards().values()
    ]


PLAYLIST_UID = "yiju-wall"


def playlist_payload() -> Json:
    """The wall's playlist: the district wall and the dispatch board, a minute each."""
    return {
        "uid": PLAYLIST_UID,
        "name": "yiju wall",
        "interval": "1m",
        "items": [
            {"type": "dashboard_by_uid", "value": "yiju-district-wall"},
            {"type": "dashboard_by_uid", "value": "yiju-dispatch"},
        ],
    }


def _call(method: Any, *args: Any) -> Any:
    """grafana-client's methods are untyped; every call goes through here."""
    return method(*args)


def _exists(read: Any, *args: Any) -> bool:
    try:
        _call(read, *args)
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return False
        raise
    return True


def push(api: GrafanaApi, influx: InfluxTarget) -> Mapping[str, int]:
    """Upsert everything; returns how many of each kind were created or updated."""
    done = {"folder": 0, "datasource": 0, "dashboards": 0, "alert_rules": 0, "playlist": 0}
    if not _exists(api.folder.get_folder, provisioning.FOLDER_UID):
        _call(api.folder.create_folder, provisioning.FOLDER_TITLE, provisioning.FOLDER_UID)
        log.info("created folder %s", provisioning.FOLDER_UID)
    done["folder"] = 1

    datasource = influx.datasource()
    if _exists(api.datasource.get_datasource_by_uid, provisioning.DATASOURCE_UID):
        _call(api.datasource.update_datasource_by_uid, provisioning.DATASOURCE_UID, datasource)
    else:
        _call(api.datasource.create_datasource, datasource)
    done["datasource"] = 1

    for payload in dashboard_payloads():
        _call(api.dashboard.update_dashboard, payload)
        done["dashboards"] += 1
        log.info("pushed dashboard %s", payload["dashboard"]["uid"])

    for rule in alerts.rules_for_api():
        if _exists(api.alertingprovisioning.get_alertrule, rule["uid"]):
            _call(api.alertingprovisioning.update_alertrule, rule["uid"], rule)
        else:
            _call(api.alertingprovisioning.create_alertrule, rule)
        done["alert_rules"] += 1

    # grafana-client has no playlist helper; its generic client speaks the same API.
    path = f"/playlists/{PLAYLIST_UID}"
    if _exists(api.client.GET, path):
        _call(api.client.PUT, path, playlist_payload())
    else:
        _call(api.client.POST, "/playlists", playlist_payload())
    done["playlist"] = 1
    log.info("pushed %s", done)
    return done


def connect(url: str, token: str) -> GrafanaApi:
    """A client authenticated with a Grafana service-account token."""
    api: GrafanaApi = _call(GrafanaApi.from_url, url, token)
    return api
