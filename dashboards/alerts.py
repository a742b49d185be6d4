"""Grafana unified-alerting rules: one alert instance per open violation.

Each rule's query counts, per (community, town, subject), whether that violation
series is open now; Grafana reduces each series to its last value and fires the
instances above 0, so every overflowing bin, sewer or offline camera is its own
alert with its community, town and subject as labels. No open violation means
no series, which is OK, not "no data".
"""

from __future__ import annotations

from dataclasses import dataclass

from core.schema import ViolationKind
from dashboards import queries as qb
from dashboards.model import Json
from dashboards.provisioning import DATASOURCE_TYPE, DATASOURCE_UID, FOLDER_TITLE, FOLDER_UID

GROUP = "yiju-violations"
INTERVAL = "1m"
EXPRESSION_UID = "__expr__"


@dataclass(frozen=True)
class AlertRule:
    uid: str
    kind: ViolationKind
    title: str
    summary: str
    severity: str
    pending: str = "0s"

    def query(self) -> str:
        return qb.open_count_now(self.kind)

    def to_json(self) -> Json:
        source = {
            "refId": "A",
            "relativeTimeRange": {"from": 600, "to": 0},
            "datasourceUid": DATASOURCE_UID,
            "model": {
                "refId": "A",
                "datasource": {"type": DATASOURCE_TYPE, "uid": DATASOURCE_UID},
                "query": self.query(),
                "rawQuery": True,
                "resultFormat": "time_series",
                "intervalMs": 60000,
                "maxDataPoints": 43200,
            },
        }
        reduce = {
            "refId": "B",
            "relativeTimeRange": {"from": 600, "to": 0},
            "datasourceUid": EXPRESSION_UID,
            "model": {
                "refId": "B",
                "type": "reduce",
                "expression": "A",
                "reducer": "last",
                "settings": {"mode": "dropNN"},
                "datasource": {"type": "__expr__", "uid": EXPRESSION_UID},
            },
        }
        threshold = {
            "refId": "C",
            "relativeTimeRange": {"from": 600, "to": 0},
            "datasourceUid": EXPRESSION_UID,
            "model": {
                "refId": "C",
                "type": "threshold",
                "expression": "B",
                "conditions": [{"evaluator": {"type": "gt", "params": [0]}}],
                "datasource": {"type": "__expr__", "uid": EXPRESSION_UID},
            },
        }
        return {
            "uid": self.uid,
            "title": self.title,
            "condition": "C",
            "data": [source, reduce, threshold],
            "noDataState": "OK",
            "execErrState": "Error",
            "for": self.pending,
            "isPaused": False,
            "annotations": {
                "summary": self.summary,
                "description": "{{ $labels.subject }} in community {{ $labels.community }} "
                "({{ $labels.town }}) has an open " + self.kind.value + " violation.",
                "__dashboardUid__": "yiju-district-wall",
            },
            "labels": {"kind": self.kind.value, "severity": self.severity, "system": "yiju"},
        }


RULES: tuple[AlertRule, ...] = (
    AlertRule(
        "yiju-bin-overflow",
        ViolationKind.BIN_OVERFLOW,
        "Collection point overflowing",
        "Exposed garbage: a collection point is at or above its overflow fill.",
        "warning",
    ),
    AlertRule(
        "yiju-sewer-overflow",
        ViolationKind.SEWER_OVERFLOW,
        "Sewage outlet overflowing",
        "A sewage outlet's level is at or above its overflow level.",
        "critical",
    ),
    AlertRule(
        "yiju-camera-offline",
        ViolationKind.CAMERA_OFFLINE,
        "Camera offline",
        "A surveillance camera is offline beyond its grace period.",
        "warning",
    ),
)


def alert_rule_group() -> Json:
    return {
        "orgId": 1,
        "name": GROUP,
        "folder": FOLDER_TITLE,
        "interval": INTERVAL,
        "rules": [rule.to_json() for rule in RULES],
    }


def alerting_file() -> Json:
    """The provisioning file `alerting/yiju.yaml`.

    Grafana expands `$NAME` from its environment in provisioning files, so the
    templates' `$labels` are written `$$labels` there (the API takes them as they are).
    """
    group = alert_rule_group()
    for rule in group["rules"]:
        rule["annotations"] = {
            key: value.replace("$", "$$") for key, value in rule["annotations"].items()
        }
    return {"apiVersion": 1, "groups": [group]}


def rules_for_api() -> list[Json]:
    """Each rule as Grafana's provisioning API takes it (`/api/v1/provisioning/alert-rules`)."""
    return [
        {**rule.to_json(), "folderUID": FOLDER_UID, "ruleGroup": GROUP, "orgID": 1}
        for rule in RULES
    ]
