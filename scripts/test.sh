#!/usr/bin/env bash
# The test job: set up (idempotent), lint, then the default test run against real
# Mosquitto and InfluxDB, which the tests start themselves. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh --tests
echo "[test] ruff check and ruff format --check"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "[test] mypy (every package, strict)"
.venv/bin/mypy
echo "[test] import contracts"
.venv/bin/lint-imports
echo "[test] the plain install (wheel, no extras, fresh venv) starts and works"
bash scripts/check_install.sh
echo "[test] pytest"
exec .venv/bin/python -m pytest -m "not slow" -p no:cacheprovider "$@"
