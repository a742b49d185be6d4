#!/usr/bin/env bash
# The main job: set up (idempotent), then run the district demo. Extra arguments go to
# `yiju demo` (for example --scale 0.05).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
exec .venv/bin/yiju demo "$@"
