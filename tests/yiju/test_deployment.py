"""The deployment files: docker-compose.yml is valid and mounts what the parts provide."""

from __future__ import annotations

import os
import re
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
# docker-compose 1.x starts in about a second; a hang fails the test instead.
COMPOSE_TIMEOUT_S = 60


def test_compose_file_validates_against_the_compose_spec() -> None:
    """check-jsonschema accepts docker-compose.yml against the Compose specification."""
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=COMPOSE_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Every variable docker-compose.yml requires (`${NAME:?...}`); a dummy value each.
COMPOSE_SECRETS = (
    "YIJU_MQTT_SERVICE_SECRET",
    "YIJU_DEVICE_SECRET",
    "YIJU_INFLUX_ADMIN_PASSWORD",
    "YIJU_INFLUX_PASSWORD",
    "YIJU_INFLUX_READER_PASSWORD",
    "YIJU_API_KEYS",
    "YIJU_GRAFANA_ADMIN_PASSWORD",
)
MISSING_COMPOSE = (
    "docker-compose is not installed: the tests check docker-compose.yml with Debian's "
    "docker-compose (`apt-get install -y --no-install-recommends docker-compose`; "
    "scripts/test.sh installs it)"
)


def _compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    assert binary is not None, MISSING_COMPOSE
    # Only the env file may supply the secrets: a clean environment keeps values set
    # on the machine running the tests from filling in what the file leaves out.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(env_file.parent)}
    return subprocess.run(
        [binary, "-f", str(COMPOSE), "--env-file", str(env_file), "config", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=COMPOSE_TIMEOUT_S,
        check=False,
    )


def test_docker_compose_resolves_the_file_with_its_secrets(tmp_path: Path) -> None:
    """Debian's docker-compose resolves the file (no Docker daemon needed) with every
    secret given in an env file, and refuses it, naming the variable, when one is missing."""
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text(encoding="utf-8")))
    assert required == set(COMPOSE_SECRETS)
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}=x\n" for name in COMPOSE_SECRETS))
    result = _compose_config(env_file)
    assert result.returncode == 0, result.stdout + result.stderr
    for missing in COMPOSE_SECRETS:
        env_file.write_text("".join(f"{n}=x\n" for n in COMPOSE_SECRETS if n != missing))
        refused = _compose_config(env_file)
        assert refused.returncode != 0, f"accepted without {missing}"
        assert "set it in .env" in refused.stderr, refused.stderr


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
