#!/usr/bin/env bash
# Web chat (or SMS webhook) turns per second: Callwright's `serve` side by side with Node-RED, in
# one run.
#
#   benchmarks/chat.sh            (from anywhere; needs root for apt-get the first time)
#   TARGET=sms benchmarks/chat.sh (Callwright's side: signed SMS webhooks instead of chat turns)
#
# 1. Node-RED 5 (the measured peer in shared/benchmarks/nodered): set up once under
#    $NODERED_BENCH_DIR with its setup.sh, started on a free port, loaded with its own
#    bench_chat.sh at CONNS connections (POST /chat, three texts, a switch and a reply each).
# 2. Callwright: `callwright serve --workers $WORKERS --no-worker` (a chat turn queues nothing, so the
#    task worker is left out of the measured process tree) on a copy of examples/workspace, loaded by wrk with
#    benchmarks/chat.lua: POST /api/v1/chat/support-bot/messages with the same three texts, each
#    request a new session whose trigger is the text; the flow answers and waits in a menu (the
#    session is saved) or, for "agent", transfers and ends.
#    With TARGET=sms: POST /api/v1/channels/sms, each request the first SMS of a new contact
#    (its own number and message id), signed beforehand by benchmarks/sms_requests.py and sent by
#    benchmarks/sms.lua: the signature is checked, the id claimed, the number read into E.164, the
#    turn run, the session saved and each reply recorded in the delivery ledger and queued (the
#    task worker is off, so nothing leaves the machine).
# Prints req/s, p50 and p99 (medians of REPEATS runs) for both, and the ratios.
# Every wrk run is bounded (-d DURATION inside `timeout`); only processes started here are stopped,
# by PID.
#
# Env (defaults): TARGET=chat CONNS=16 REPEATS=3 DURATION=10s THREADS=2 WORKERS=2 WARMUP=5s SETTLE=2
#                 SMS_REQUESTS=60000 (signed requests written per wrk run with TARGET=sms)
#                 NODERED_BENCH_DIR=/tmp/nodered-bench  NODERED_SRC=<repo>/../shared/benchmarks/nodered
#                 OUT=<repo>/benchmarks/results/chat-<timestamp>  CALLWRIGHT=<repo>/.venv/bin/callwright
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
export NODERED_BENCH_DIR="${NODERED_BENCH_DIR:-/tmp/nodered-bench}"
NODERED_SRC="${NODERED_SRC:-$REPO/../shared/benchmarks/nodered}"
CONNS="${CONNS:-16}"; REPEATS="${REPEATS:-3}"; DURATION="${DURATION:-10s}"; THREADS="${THREADS:-2}"
WORKERS="${WORKERS:-2}"; WARMUP="${WARMUP:-5s}"; SETTLE="${SETTLE:-2}"
CALLWRIGHT="${CALLWRIGHT:-$REPO/.venv/bin/callwright}"
TARGET="${TARGET:-chat}"; SMS_REQUESTS="${SMS_REQUESTS:-60000}"
[[ "$TARGET" == chat || "$TARGET" == sms ]] || { echo "TARGET must be chat or sms" >&2; exit 2; }
OUT="${OUT:-$REPO/benchmarks/results/$TARGET-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
THREADS=$(( CONNS < THREADS ? CONNS : THREADS ))
CLK_TCK=$(getconf CLK_TCK)
NR_STARTED=""; SERVER_PID=""; TMP_WS=""

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

stop_pid() { # TERM a process we started, KILL it after 5 s
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "# PID $pid still alive after 5 s, sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  [[ -n "$SERVER_PID" ]] && stop_pid "$SERVER_PID"
  [[ -n "$NR_STARTED" ]] && bash "$NODERED_BENCH_DIR/stop.sh" >/dev/null
  [[ -n "$TMP_WS" ]] && rm -rf "$TMP_WS"
  return 0
}
trap cleanup EXIT

tree_ticks() { # utime+stime of a process and its direct children (granian's workers), in ticks
  local total=0 pid
  for pid in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
    [[ -r /proc/$pid/stat ]] || continue
    total=$(( total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat") ))
  done
  echo "$total"
}

if ! command -v wrk >/dev/null; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
fi

# ---------------------------------------------------------------- 1. Node-RED
if [[ ! -f "$NODERED_BENCH_DIR/node_modules/node-red/red.js" || ! -x "$NODERED_BENCH_DIR/bench_chat.sh" ]]; then
  bash "$NODERED_SRC/setup.sh"
fi
NR_PORT="$(free_port)"
NR_PORT="$NR_PORT" bash "$NODERED_BENCH_DIR/start.sh"
NR_STARTED=1
echo "## Node-RED: bench_chat.sh at c=$CONNS"
CONNS="$CONNS" REPEATS="$REPEATS" DURATION="$DURATION" THREADS="$THREADS" WARMUP="$WARMUP" \
  OUT="$OUT/nodered" bash "$NODERED_BENCH_DIR/bench_chat.sh" "http://127.0.0.1:$NR_PORT/chat"
bash "$NODERED_BENCH_DIR/stop.sh"; NR_STARTED=""

# ---------------------------------------------------------------- 2. Callwright
[[ -f "$REPO/examples/workspace/flows/support-bot.json" ]] \
  || { echo "examples/workspace/flows/support-bot.json is missing" >&2; exit 2; }
TMP_WS="$(mktemp -d /tmp/callwright-bench-ws.XXXXXX)"
cp -r "$REPO/examples/workspace/." "$TMP_WS/"
rm -rf "$TMP_WS/.callwright"   # start from an empty session store and execution log
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT/api/v1/chat/support-bot/messages"
SCRIPT=("$REPO/benchmarks/chat.lua"); LABEL="Callwright serve chat turn"
if [[ "$TARGET" == sms ]]; then
  PYTHON="$(dirname "$CALLWRIGHT")/python"
  SECRET="sms-benchmark-secret-$RANDOM$RANDOM"
  URL="http://127.0.0.1:$PORT/api/v1/channels/sms"
  LABEL="Callwright SMS webhook turn"
  # the gateway is never called: the task worker is off, so the replies stay queued
  printf '\n[webhooks]\nsecret = "%s"\n[sms]\ngateway = "http://127.0.0.1:9/sms"\n' "$SECRET" \
    >> "$TMP_WS/callwright.toml"
fi
signed() { # write the signed SMS requests of run $1, numbers from the $2-th on; print their prefix
  (cd "$REPO" && "$PYTHON" benchmarks/sms_requests.py "$OUT/sms-$1" "$SMS_REQUESTS" "$THREADS" \
     "$SECRET" "$1" $(( $2 * SMS_REQUESTS )))
  echo "$OUT/sms-$1"
}
wrk_script() { # print wrk's script options for run $1 (the $2-th: each run has numbers of its own)
  if [[ "$TARGET" == sms ]]; then
    local prefix; prefix="$(signed "$1" "$2")"
    echo "-s $REPO/benchmarks/sms.lua $URL -- $prefix"
  else
    echo "-s $REPO/benchmarks/chat.lua $URL"
  fi
}
"$CALLWRIGHT" serve --workspace "$TMP_WS" --workers "$WORKERS" --no-worker --port "$PORT" > "$OUT/callwright-server.log" 2>&1 &
SERVER_PID=$!
deadline=$(( SECONDS + 120 ))
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/v1/health" 2>/dev/null; do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "callwright serve exited early:" >&2; tail -20 "$OUT/callwright-server.log" >&2; exit 1; }
  (( SECONDS < deadline )) || { echo "callwright serve did not answer within 120 s" >&2; exit 1; }
  sleep 0.2
done
echo "## Callwright: serve --workers $WORKERS (copy of examples/workspace), PID $SERVER_PID, c=$CONNS, $TARGET"
if [[ "$TARGET" == sms ]]; then
  "$PYTHON" - "$URL" "$(head -1 "$(signed check 0)-0.txt")" <<'PY' || { echo "SMS contract check failed" >&2; exit 3; }
import json, sys, urllib.request
signature, body = sys.argv[2].split("\t", 1)
request = urllib.request.Request(sys.argv[1], data=body.encode(), method="POST", headers={
    "Content-Type": "application/json", "X-Callwright-Signature": signature})
with urllib.request.urlopen(request, timeout=5) as answer:
    d = json.load(answer)
print(f"# check: {body} -> {json.dumps(d)[:200]}")
assert isinstance(d["session"], str) and d["replies"] and d["duplicate"] is False, d
PY
fi
for t in "what is my balance" "I want to talk to an agent" "hello there"; do
  [[ "$TARGET" == sms ]] && break
  resp="$(curl -sS -m 5 -X POST -H 'Content-Type: application/json' --data "{\"text\":\"$t\"}" -w '\n%{http_code}' "$URL")"
  echo "# check: '$t' -> $(echo "$resp" | tr '\n' ' ' | cut -c1-200)"
  python3 - "$resp" <<'PY' || { echo "chat contract check failed" >&2; exit 3; }
import json, sys
body, code = sys.argv[1].rsplit("\n", 1)
d = json.loads(body)
assert code == "200", code
assert isinstance(d["session"], str) and d["replies"] and isinstance(d["ended"], bool), d
PY
done
# shellcheck disable=SC2046  # the script options are split on purpose
[[ "$WARMUP" != "0" ]] && { timeout 60 wrk -t "$THREADS" -c "$CONNS" -d "$WARMUP" $(wrk_script warmup 1) > "$OUT/callwright-warmup.txt" 2>&1 || true; sleep "$SETTLE"; }
echo "run,rps,p50_ms,p99_ms,errors,server_cpu_us_per_req" > "$OUT/callwright-runs.csv"
for run in $(seq 1 "$REPEATS"); do
  raw="$OUT/callwright-r$run.txt"
  options="$(wrk_script "r$run" $(( run + 1 )))"
  c0=$(tree_ticks "$SERVER_PID")
  # shellcheck disable=SC2086  # the script options are split on purpose
  timeout 120 wrk -t "$THREADS" -c "$CONNS" -d "$DURATION" --latency $options > "$raw" 2>&1
  c1=$(tree_ticks "$SERVER_PID")
  python3 - "$(grep '^WRKJSON ' "$raw" | sed 's/^WRKJSON //')" "$run" "$c0" "$c1" "$CLK_TCK" >> "$OUT/callwright-runs.csv" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); run = sys.argv[2]; c0, c1, tck = map(float, sys.argv[3:6])
err = d["err_connect"] + d["err_read"] + d["err_write"] + d["err_status"] + d["err_timeout"]
if d.get("wrapped"):
    sys.exit(f"run {run}: wrk ran out of signed requests and sent {d['wrapped']} list(s) again: "
             f"raise SMS_REQUESTS")
us = (c1 - c0) / tck * 1e6 / d["requests"] if d["requests"] else float("nan")
print(f'{run},{d["rps"]:.1f},{d["p50_ms"]:.3f},{d["p99_ms"]:.3f},{err},{us:.0f}')
PY
  tail -1 "$OUT/callwright-runs.csv" | awk -F, '{printf "# run %s: %s req/s, p50 %s ms, p99 %s ms, errors %s, %s us CPU/req\n",$1,$2,$3,$4,$5,$6}'
  sleep "$SETTLE"
done

# ---------------------------------------------------------------- 3. side by side
echo
python3 - "$OUT/nodered/runs.csv" "$OUT/callwright-runs.csv" "$CONNS" "$REPEATS" "$LABEL" <<'PY' | tee "$OUT/side-by-side.txt"
import csv, statistics, sys
nr_rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["conns"] == sys.argv[3]]
need = int(sys.argv[4])
clean = [r for r in nr_rows if r["noisy"] == "0"]
# as summarize_chat.py: the clean runs, else the least-disturbed ones
if len(clean) < need:
    clean = sorted(nr_rows, key=lambda r: float(r["host_steal_pct"]) + max(float(r["other_cpu_pct"]), 0.0))[:need]
nr = {k: statistics.median(float(r[k]) for r in clean[:need])
      for k in ("rps", "p50_ms", "p99_ms", "server_cpu_us_per_req", "errors")}
cw_rows = list(csv.DictReader(open(sys.argv[2])))
cw = {k: statistics.median(float(r[k]) for r in cw_rows)
      for k in ("rps", "p50_ms", "p99_ms", "server_cpu_us_per_req", "errors")}
print(f"c={sys.argv[3]}, medians of {need} runs")
print(f'{"server":<28} {"req/s":>9} {"p50_ms":>8} {"p99_ms":>8} {"cpu_us/req":>10} {"errors":>6}')
for name, m in (("Node-RED 5.0.7 POST /chat", nr), (sys.argv[5], cw)):
    print(f'{name:<28} {m["rps"]:>9.1f} {m["p50_ms"]:>8.3f} {m["p99_ms"]:>8.2f} '
          f'{m["server_cpu_us_per_req"]:>10.0f} {m["errors"]:>6.0f}')
print(f'ratio Callwright / Node-RED: req/s {cw["rps"] / nr["rps"]:.2f}x, '
      f'p50 {cw["p50_ms"] / nr["p50_ms"]:.2f}x, p99 {cw["p99_ms"] / nr["p99_ms"]:.2f}x')
PY
echo "# raw results in $OUT"
