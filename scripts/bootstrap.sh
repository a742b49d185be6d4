#!/usr/bin/env bash
# Idempotent set-up on Debian as root: system packages, the virtual environment and
# yiju's Python dependencies. Run by scripts/demo.sh and by scripts/test.sh (with --tests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[setup] %s\n' "$*"; }

need_apt=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need_apt+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || need_apt+=(mosquitto-clients)
command -v influxd >/dev/null 2>&1 || need_apt+=(influxdb)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
# `bootstrap.sh --tests` (scripts/test.sh) adds what only the tests use: Debian's
# docker-compose (1.x on Debian 12, 2.x on 13), whose `config -q` checks
# docker-compose.yml without a Docker daemon (--no-install-recommends keeps docker.io out).
if [ "${1:-}" = "--tests" ]; then
  command -v docker-compose >/dev/null 2>&1 || need_apt+=(docker-compose)
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
if [ -z "$PYTHON" ]; then
  need_apt+=(python3 python3-venv python3-dev)
  PYTHON=python3
elif ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "yiju needs these Debian packages: ${need_apt[*]}; run as root or install them" >&2
    exit 1
  fi
  log "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages' own system services are not needed: yiju starts its own instances on
  # its own ports (see README, "Local services").
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  log "creating the virtual environment (.venv) with $PYTHON"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.yiju-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing yiju and its Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
log "ready: $(.venv/bin/python --version), mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'), $(influxd version 2>/dev/null | awk '{print $1, $2}')"
