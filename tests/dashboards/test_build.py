"""The committed boards and provisioning: fresh, valid, and wired to docker-compose."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core import schema
from dashboards import build, queries, validate

REPO = build.ROOT.parent


def committed_boards() -> dict[str, dict[str, Any]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((build.ROOT / build.BUILT).glob("*.json"))
    }


def provisioning_file(*parts: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (build.ROOT / build.PROVISIONING).joinpath(*parts).read_text()
    )
    return data


def test_built_files_are_up_to_date() -> None:
    """The committed JSON and YAML equal what the builders make now (else: run build)."""
    assert build.stale() == [], "run `yiju dashboards build` and commit the result"


def test_committed_boards_validate() -> None:
    """Every committed board passes the dashboard schema; uids unique, variables defined,
    datasource references provisioned, alert rules consistent."""
    boards = committed_boards()
    assert set(boards) == {"district-wall", "community", "dispatch"}
    errors = validate.all_errors(
        boards,
        provisioning_file("datasources", "yiju.yaml"),
        provisioning_file("alerting", "yiju.yaml"),
    )
    assert errors == []


def test_boards_round_trip_through_grafanas_types() -> None:
    """Every key of every board is known to Grafana's generated dashboard and panel types
    (grafana-foundation-sdk, Grafana 11.6 build)."""
    for board in committed_boards().values():
        assert validate.sdk_round_trip_errors(board) == []


@pytest.mark.parametrize(
    ("where", "key"),
    [("options", "orientaton"), ("fieldConfig.defaults", "thresold"), ("", "gridpos")],
)
def test_typed_check_catches_misspelt_keys(where: str, key: str) -> None:
    """A misspelt panel option, field default or panel key is reported by the typed check."""
    board = copy.deepcopy(committed_boards()["district-wall"])
    node: Any = board["panels"][0]
    for part in filter(None, where.split(".")):
        node = node[part]
    node[key] = 1
    errors = validate.sdk_round_trip_errors(board)
    assert any(key in e for e in errors), errors


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(board: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = board
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[int(last) if last.isdigit() else last] = value

    return mutate


def _query(text: str) -> Callable[[dict[str, Any]], None]:
    return _set("panels.0.targets.0.query", text)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set("colour", "red"), "Additional properties"),
        (_set("uid", "has spaces in it"), "does not match"),
        (_set("panels.0.gridPos.w", 30), "greater than the maximum"),
        (_set("panels.1.gridPos", {"h": 5, "w": 5, "x": 0, "y": 0}), "overlaps"),
        (_set("panels.1.id", 1), "panel id 1 used 2 times"),
        (_query('SELECT * FROM "bin" WHERE "point_id" =~ /^$point$/'), "undefined variables"),
        (_set("panels.0.datasource", {"type": "influxdb", "uid": "other"}), "not provisioned"),
        (_set("panels.0.datasource", {"type": "loki", "uid": "yiju-influxdb"}), "not provisioned"),
        (_set("panels.0.transformations", [{"id": "merge", "options": {}}]), "not reproduced"),
        (_set("panels.1.targets.0.panelId", 99), "shares results of panel 99"),
        (_set("panels.0.fieldConfig.defaults.thresholds.steps.0.color", 3), "is not of type"),
    ],
)  # fmt: skip
def test_validation_catches(mutate: Callable[[dict[str, Any]], None], message: str) -> None:
    """Each kind of mistake in a board is reported with a message naming it."""
    boards = copy.deepcopy(committed_boards())
    mutate(boards["district-wall"])
    errors = validate.all_errors(
        boards,
        provisioning_file("datasources", "yiju.yaml"),
        provisioning_file("alerting", "yiju.yaml"),
    )
    assert any(message in e for e in errors), errors


def test_duplicate_uid_and_dangling_link_are_reported() -> None:
    """Two boards with one uid, and a link to a board that does not exist, are errors."""
    boards = copy.deepcopy(committed_boards())
    boards["dispatch"]["uid"] = boards["community"]["uid"]
    errors = validate.all_errors(
        boards,
        provisioning_file("datasources", "yiju.yaml"),
        provisioning_file("alerting", "yiju.yaml"),
    )
    assert any("used 2 times" in e for e in errors)
    assert any("unknown board yiju-dispatch" in e for e in errors)


def test_queries_only_name_what_core_schema_defines() -> None:
    """A tag or field the schema lacks is a build error, not a silently empty panel."""
    with pytest.raises(ValueError, match="no tag or field 'fill'"):
        queries.col(schema.BIN, "fill")
    names = {n for m in schema.ALL_MEASUREMENTS for n in (m.name, *m.tags, *m.fields)}
    aliases = {"open", "points", "cleared", "served", "planned", "due", "level", "overflow level",
               "stops", "peak load", "first stop", "last stop", "points_cleared",
               "points_overflowed", "exposed_minutes", "overflowed"}  # fmt: skip
    for board in committed_boards().values():
        for panel in board["panels"]:
            for target in panel["targets"]:
                quoted = set(re.findall(r'"([^"]+)"', target.get("query", "")))
                assert quoted <= names | aliases, (panel["title"], quoted - names - aliases)


def test_provisioning_holds_no_secret_and_matches_compose() -> None:
    """The datasource takes its password from Grafana's environment, which docker-compose
    sets; compose mounts the provisioning and built folders where the provider looks."""
    ds = provisioning_file("datasources", "yiju.yaml")["datasources"][0]
    assert ds["uid"] == "yiju-influxdb"
    assert ds["jsonData"]["version"] == "InfluxQL"
    assert ds["secureJsonData"]["password"] == "$YIJU_INFLUX_READER_PASSWORD"
    provider = provisioning_file("dashboards", "yiju.yaml")["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert "./dashboards/provisioning:/etc/grafana/provisioning:ro" in grafana["volumes"]
    assert "./dashboards/built:/var/lib/grafana/dashboards:ro" in grafana["volumes"]
    text = (build.ROOT / build.PROVISIONING / "datasources" / "yiju.yaml").read_text()
    for name in re.findall(r"\$(\w+)", text):
        assert name in grafana["environment"], f"${name} is not set for Grafana in compose"


def test_alert_templates_survive_grafanas_env_expansion() -> None:
    """`$labels` in alert annotations is written `$$labels` in the provisioning file."""
    text = (build.ROOT / build.PROVISIONING / "alerting" / "yiju.yaml").read_text()
    assert "$$labels.subject" in text
    assert re.search(r"(?<!\$)\$labels", text) is None


def test_build_command_writes_and_check_passes(tmp_path: Path) -> None:
    """`build.write` into a folder, then `stale` on it, finds nothing to rebuild."""
    build.write(tmp_path)
    assert build.stale(tmp_path) == []
    (tmp_path / "built" / "community.json").write_text("{}")
    (tmp_path / "built" / "old.json").write_text("{}")
    assert sorted(build.stale(tmp_path)) == [
        "built/community.json: differs from the builders",
        "built/old.json: no builder makes it",
    ]
