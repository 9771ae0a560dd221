#!/usr/bin/env bash
# Create (or bring up to date) the virtualenv ${CALLWRIGHT_VENV:-.venv} and install Callwright in it.
#
#   bash scripts/install.sh               # the product
#   bash scripts/install.sh test          # the product plus the `test` extra (any extras, by name)
#
# The project is installed as a built wheel (`pip install .`), not editable, so what runs is what
# ships: the package data (schemas/*.json, block manifests) must really be in the package.
# start.sh, test.sh and the Dockerfile all install through this one script.
#
# The editor (frontend/) is built into builder/editor/ by scripts/build-editor.sh before the install.
#
# Idempotent: a stamp in the venv records what was installed (extras, mode and a hash of the
# project's files); when nothing changed the install is skipped. CALLWRIGHT_REINSTALL=1 forces it.
# CALLWRIGHT_PYTHON picks the interpreter that creates the venv (default python3, 3.11 or newer).
# A venv that already holds an editable install (a developer's `pip install -e .`) is kept
# editable, so running start.sh in a dev checkout never swaps the dev's code for a snapshot;
# CALLWRIGHT_INSTALL_MODE=wheel forces the wheel install regardless (test.sh does).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv=${CALLWRIGHT_VENV:-.venv}
python=${CALLWRIGHT_PYTHON:-python3}
mode=${CALLWRIGHT_INSTALL_MODE:-auto}

say() { echo "install.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

case "$mode" in auto|wheel) ;; *) fail "CALLWRIGHT_INSTALL_MODE must be auto or wheel, not '$mode'";; esac
command -v "$python" >/dev/null || fail "no '$python' on PATH: install Python 3.11 or newer"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || fail "Callwright needs Python 3.11 or newer; $python is $("$python" --version 2>&1)"

extras=$(IFS=,; echo "$*")
target=.
[ -n "$extras" ] && target=".[$extras]"

if [ ! -x "$venv/bin/python" ]; then
  # Debian's python3 ships venv without ensurepip; say what to install instead of a half-made venv
  "$python" -c 'import ensurepip' 2>/dev/null \
    || fail "$python cannot create a virtualenv: install Debian's python3-venv (apt-get install python3-venv)"
  say "creating the virtualenv $venv"
  "$python" -m venv "$venv"
fi
py="$venv/bin/python"

editable=no
if [ "$mode" = auto ] && "$py" -I - <<'EOF' 2>/dev/null
import json, sys
from importlib.metadata import PackageNotFoundError, distribution
try:
    url = distribution("callwright").read_text("direct_url.json") or "{}"
except PackageNotFoundError:
    sys.exit(1)
sys.exit(0 if json.loads(url).get("dir_info", {}).get("editable") else 1)
EOF
then
  editable=yes
fi

# The editor is built from frontend/ into builder/editor/ first, so that the wheel ships it
# (skipped when frontend/ did not change; a failed build stops the install).
bash scripts/build-editor.sh

# What the installed package is made of: the packaging files, the import packages and the built
# editor (builder/editor/); caches and build output are left out so they never force a reinstall.
fingerprint() {
  local path paths=()
  for path in pyproject.toml README.md LICENSE builder runtime blocks schemas; do
    [ -e "$path" ] && paths+=("$path")
  done
  find "${paths[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
stamp_file="$venv/.callwright-install"
stamp="extras=$extras mode=$mode editable=$editable python=$("$py" -c 'import sys; print(sys.version)' | head -1) files=$(fingerprint)"
if [ "${CALLWRIGHT_REINSTALL:-0}" != 1 ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  say "$venv is up to date (extras: ${extras:-none})"
  exit 0
fi

rm -f "$stamp_file"
say "upgrading pip in $venv"
"$py" -I -m pip install --quiet --upgrade pip
if [ "$editable" = yes ]; then
  say "installing $target into $venv (kept editable: it was an editable install)"
  "$py" -I -m pip install --quiet --editable "$target"
else
  # setuptools reuses build/lib between builds, so a file deleted from the source would still ship
  rm -rf build
  say "installing $target into $venv"
  "$py" -I -m pip install --quiet "$target"
  rm -rf build
fi
echo "$stamp" > "$stamp_file"
say "done: $venv/bin/callwright"
