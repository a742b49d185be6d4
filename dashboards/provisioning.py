"""Grafana provisioning: the InfluxDB datasource and the dashboards provider.

The YAML holds no secret: Grafana expands `$VARIABLE` from its environment when
it reads provisioning files, and docker-compose passes the InfluxDB reader's
password in. The datasource uid is a constant, so every board and alert rule
can refer to it before Grafana has ever seen it.
"""

from __future__ import annotations

from typing import Any

DATASOURCE_UID = "yiju-influxdb"
DATASOURCE_NAME = "yiju InfluxDB"
DATASOURCE_TYPE = "influxdb"
FOLDER_UID = "yiju"
FOLDER_TITLE = "yiju"
# Where docker-compose mounts dashboards/built inside the Grafana container.
DASHBOARDS_PATH = "/var/lib/grafana/dashboards"

Json = dict[str, Any]


def datasource() -> Json:
    """The datasource as Grafana's API and provisioning describe it (InfluxQL over v1)."""
    return {
        "name": DATASOURCE_NAME,
        "uid": DATASOURCE_UID,
        "type": DATASOURCE_TYPE,
        "access": "proxy",
        "url": "$YIJU_INFLUX_URL",
        "user": "$YIJU_INFLUX_READER_USER",
        "isDefault": True,
        "editable": False,
        "jsonData": {
            "version": "InfluxQL",
            "dbName": "$YIJU_INFLUX_DB",
            # POST keeps long queries (subqueries over many communities) out of URLs.
            "httpMode": "POST",
            "timeInterval": "10s",
        },
        "secureJsonData": {"password": "$YIJU_INFLUX_READER_PASSWORD"},
    }


def datasource_file() -> Json:
    return {"apiVersion": 1, "datasources": [datasource()]}


def dashboards_provider_file() -> Json:
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "yiju",
                "orgId": 1,
                "folder": FOLDER_TITLE,
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }


def datasource_for_api(url: str, database: str, user: str, password: str) -> Json:
    """The datasource body for Grafana's HTTP API, with the values the YAML leaves to
    Grafana's environment filled in (`yiju dashboards push`)."""
    body = datasource()
    body["url"] = url
    body["user"] = user
    body["jsonData"] = {**body["jsonData"], "dbName": database}
    body["secureJsonData"] = {"password": password}
    return body
