#!/usr/bin/env bash
# Set up Callwright (scripts/install.sh) and start it on embedded defaults with the example
# workspace: the REST API, web chat turns and inbound webhooks on http://127.0.0.1:8080/api/v1
# (http://127.0.0.1:8080/ says where everything is), and a task worker. Not yet: the editor (flows
# are JSON files in the workspace) and SIP (serve says so at start).
#
#   bash scripts/start.sh                    # as is
#   bash scripts/start.sh --port 9000        # extra arguments go to `callwright serve`
#   CALLWRIGHT_VENV=/opt/cw bash scripts/start.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
venv=${CALLWRIGHT_VENV:-.venv}

bash scripts/install.sh
# later options win in click, so "$@" can override the host and port given here
exec "$venv/bin/callwright" serve --workspace examples/workspace --host 127.0.0.1 --port 8080 "$@"
