"""`yiju api keys …` manages the keys file; `yiju api` serves the app with uvicorn."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.auth import read_keys_file
from api.services.plan_jobs import settings_env
from core.settings import Settings
from yiju.cli import main
from yiju.localservices import free_port

# One request to the API on this machine; a server that stops answering fails the test.
HTTP_TIMEOUT_S = 30


def test_keys_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A created key is printed once, stored hashed, listed by name and role, revocable."""
    path = tmp_path / "keys.jsonl"
    assert (
        main(["api", "keys", "create", "office-gc", "--role", "office", "--file", str(path)]) == 0
    )
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert secret.startswith("yiju_")
    assert secret not in path.read_text()
    assert read_keys_file(path)[0].matches(secret)
    assert main(["api", "keys", "list", "--file", str(path)]) == 0
    assert "office-gc" in capsys.readouterr().out
    assert main(["api", "keys", "revoke", "office-gc", "--file", str(path)]) == 0
    assert read_keys_file(path) == []
    assert main(["api", "keys", "revoke", "office-gc", "--file", str(path)]) == 2


def test_yiju_api_serves(api_settings: Settings, tmp_path: Path) -> None:
    """`yiju api --port` starts uvicorn with the app from the environment; keys from env."""
    port = free_port()
    env = {
        **os.environ,
        **settings_env(api_settings),
        "YIJU_API_KEYS": "cli-test:office:cli-secret",
    }
    log = (tmp_path / "api.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "yiju", "api", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "api.log").read_text()
                assert time.monotonic() < deadline, "yiju api did not answer within 30 s"
                time.sleep(0.2)
        assert health.status_code == 200
        towns = httpx.get(
            f"{base}/towns", headers={"Authorization": "Bearer cli-secret"}, timeout=HTTP_TIMEOUT_S
        )
        assert towns.status_code == 200
        assert towns.json()["count"] == 7
        assert httpx.get(f"{base}/towns", timeout=HTTP_TIMEOUT_S).status_code == 401
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=HTTP_TIMEOUT_S)
        assert docs.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
