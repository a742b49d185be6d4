"""The deployment files: docker-compose.yml is valid and mounts what the parts provide."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from core.registry import Registry
from core.settings import Settings
from yiju.localservices.mosquitto import export_broker_files

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def test_compose_file_validates_against_the_compose_spec() -> None:
    """check-jsonschema accepts docker-compose.yml against the Compose specification."""
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_config_with_docker_compose_when_installed(tmp_path: Path) -> None:
    """Debian's docker-compose (if present) resolves the file with secrets given."""
    binary = shutil.which("docker-compose")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "".join(
            f"{k}=x\n"
            for k in (
                "YIJU_MQTT_SERVICE_SECRET",
                "YIJU_DEVICE_SECRET",
                "YIJU_INFLUX_ADMIN_PASSWORD",
                "YIJU_INFLUX_PASSWORD",
                "YIJU_INFLUX_READER_PASSWORD",
                "YIJU_API_KEYS",
                "YIJU_GRAFANA_ADMIN_PASSWORD",
            )
        )
    )
    if binary is None:
        # The schema check above covers validity; here the structure is checked directly.
        spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
        assert set(spec["services"]) == {"mosquitto", "influxdb", "grafana", "ingest", "api"}
        return
    result = subprocess.run(
        [binary, "-f", str(COMPOSE), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_compose_names_every_service_and_mount() -> None:
    """Mosquitto gets the exported accounts, Grafana the dashboards' provisioning and boards."""
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    services = spec["services"]
    assert services["influxdb"]["image"].startswith("influxdb:1.11")
    assert "./var/deploy/mosquitto:/mosquitto/config:ro" in services["mosquitto"]["volumes"]
    grafana_mounts = services["grafana"]["volumes"]
    assert "./dashboards/provisioning:/etc/grafana/provisioning:ro" in grafana_mounts
    assert "./dashboards/built:/var/lib/grafana/dashboards:ro" in grafana_mounts
    assert services["ingest"]["command"][0] == "ingest"
    assert services["api"]["command"][0] == "api"


def test_exported_broker_files_have_every_account(tmp_path: Path, small_district: Registry) -> None:
    """`export-broker` writes hashed accounts for services, gateways and every device."""
    settings = Settings(data_dir=tmp_path).with_dev_secrets()
    count = export_broker_files(settings, small_district, tmp_path / "mq")
    users = [
        line.split(":", 1)[0] for line in (tmp_path / "mq" / "passwd").read_text().splitlines()
    ]
    assert count == len(users) == 4 + len(small_district.towns) + len(small_district.devices)
    assert all(
        line.split(":", 1)[1].startswith("$7$101$")
        for line in (tmp_path / "mq" / "passwd").read_text().splitlines()
    )
    conf = (tmp_path / "mq" / "mosquitto.conf").read_text()
    assert "password_file /mosquitto/config/passwd" in conf
    assert "allow_anonymous false" in conf
