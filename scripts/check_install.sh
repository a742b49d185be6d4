#!/usr/bin/env bash
# The plain install, as the Dockerfile and users do it: build the wheel, install it
# without extras into a fresh virtual environment on the machine's Python, and check
# that it starts and works (scripts/install_smoke.py). Needs the Debian packages that
# scripts/bootstrap.sh installs. The Python is the one .venv was made with.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work="$(mktemp -d /tmp/yiju-install.XXXXXX)"
trap 'rm -rf "$work"' EXIT
python="$(.venv/bin/python -c 'import sys; print(sys._base_executable)')"

# The wheel is built from a copy of the checkout's own files (tracked, or new and not
# ignored): setuptools reuses ./build, and a build/ left by an earlier `pip install .`
# puts modules into the wheel that the source no longer has.
src="."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  src="$work/src"
  mkdir -p "$src"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - | tar -xf - -C "$src"
fi
echo "[install] building the wheel"
.venv/bin/python -m pip wheel -q --no-deps --wheel-dir "$work/dist" "$src"
wheel="$(ls "$work"/dist/yiju-*.whl)"
echo "[install] installing $(basename "$wheel") without extras into a fresh venv ($("$python" --version))"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "$wheel"
# Run from outside the checkout, with only the fresh environment on PATH.
cp scripts/install_smoke.py "$work/"
(cd "$work" && PATH="$work/venv/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  "$work/venv/bin/python" "$work/install_smoke.py" "$work")
