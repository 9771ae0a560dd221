#!/usr/bin/env bash
# Set up Callwright (scripts/install.sh) and start it on embedded defaults with the example
# workspace: the editor at http://127.0.0.1:8080/, the REST API, web chat, the chat widget and
# the webhooks under /api/v1, a task worker, a voice node answering SIP on 127.0.0.1:5060, and an
# SMTP receiver on 127.0.0.1:2525 for the example's e-mail routes.
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
