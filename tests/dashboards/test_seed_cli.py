"""`yiju dashboards seed|probe|check`: registry facts into InfluxDB, idempotently, and
the commands a user runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core import schema
from core.influx import InfluxClient
from core.localday import now_ms
from core.registry import Registry, save_registry
from core.settings import get_settings
from dashboards.seed import community_lines, seed
from yiju.cli import main
from yiju.localservices import LocalStack


def test_community_lines_carry_the_registry_counts(small_district: Registry) -> None:
    """One `community` point per community with its name, place and counts."""
    lines = list(community_lines(small_district, 1_700_000_000_000))
    assert len(lines) == len(small_district.communities)
    first = small_district.communities[0]
    points = sum(p.community_id == first.id for p in small_district.collection_points)
    assert lines[0].startswith(
        f"{schema.COMMUNITY.name},community={first.id},town={first.town_id} "
    )
    assert f"collection_points={points}i" in lines[0]


def test_seeding_twice_overwrites(influx_db: InfluxClient, small_district: Registry) -> None:
    """Seeding again at the same time leaves one point per community, not two."""
    ts = now_ms()
    seed(influx_db, small_district, ts)
    seed(influx_db, small_district, ts)
    rows = influx_db.query(f'SELECT count("lat") FROM "{schema.COMMUNITY.name}"')
    assert rows[0]["values"][0][1] == len(small_district.communities)


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch,
    local_stack: LocalStack,
    influx_db: InfluxClient,
    small_district: Registry,
    tmp_path: Path,
) -> Iterator[InfluxClient]:
    """The CLI's settings pointed at the test InfluxDB database and a registry file."""
    s = local_stack.settings
    for user in (s.influx_user, s.influx_reader_user):
        influx_db.query(f'GRANT ALL ON "{influx_db.database}" TO "{user}"', method="POST")
    save_registry(small_district, tmp_path / "district.json")
    env = {
        "YIJU_ENV": "test",
        "YIJU_DATA_DIR": str(tmp_path),
        "YIJU_INFLUX_URL": s.influx_url,
        "YIJU_INFLUX_DB": influx_db.database,
        "YIJU_INFLUX_PASSWORD": s.secret("influx_password"),
        "YIJU_INFLUX_READER_PASSWORD": s.secret("influx_reader_password"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield influx_db
    get_settings.cache_clear()


def test_seed_and_probe_commands(
    cli_env: InfluxClient, small_district: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    """`seed` writes the communities; `probe` runs every board's queries and the alert
    rules with the read-only account and lists each panel."""
    assert main(["dashboards", "seed"]) == 0
    assert f"wrote {len(small_district.communities)} communities" in capsys.readouterr().out
    assert main(["dashboards", "probe", "--from", "now-6h", "--var", "town=guicheng"]) == 0
    out = capsys.readouterr().out
    assert "Communities by open violations" in out
    assert "0 alert instances firing" in out


def test_check_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`yiju dashboards check` validates the committed boards and finds them current."""
    assert main(["dashboards", "check"]) == 0
    assert "3 boards valid and up to date" in capsys.readouterr().out
