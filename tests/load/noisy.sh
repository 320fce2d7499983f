#!/usr/bin/env bash
# A noisy plugin against a normal call (a bench, not a timed test; run
# `.ci/build` first; needs `wrk` and `curl`): `list_groups` (size 50) at 8
# connections for MSECS seconds, p50 and p99, with no other load and with four
# hostile calls in flight the whole time (the hostile fixture's `flood_reads`:
# one SQL read after another until the host stops it, each call restarted as
# soon as it ends), quiet and noisy runs alternating, ROUNDS rounds, medians.
# With BASELINE_BIN=<binary> the same rounds also run against that build of the
# host (e.g. one from before the per-call budgets), side by side in one run.
# Usage: [ROUNDS=4] [MSECS=5] [BASELINE_BIN=file] tests/load/noisy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=target/release/access-mcp
LUA=tests/load/call.lua
HOSTILE=target/wasm32-wasip2/release/hostile_plugin.wasm
ROUNDS=${ROUNDS:-4}
MSECS=${MSECS:-5}
[ -x "$BIN" ] && [ -f "$HOSTILE" ] || { echo "run .ci/build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d)
PIDS=()
FLOODS=()
trap 'kill "${FLOODS[@]}" "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

PLUGINS="$WORK/plugins"
mkdir -p "$PLUGINS"
cp target/plugins/* "$PLUGINS/"
cp "$HOSTILE" "$PLUGINS/hostile.wasm"
printf 'name = "hostile"\ngrants = ["access:directory/reads", "access:directory/permissions", "access:directory/requests"]\n' \
  >"$PLUGINS/hostile.toml"

start() { # name binary port
  ACCESS_MCP_LISTEN=127.0.0.1:$3 ACCESS_MCP_PLUGINS_DIR="$PLUGINS" ACCESS_MCP_DEMO_DB="$WORK/$1.db" \
    ACCESS_MCP_CACHE_DIR="$WORK/cache-$1" RUST_LOG=warn ENV=development "$2" serve >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$3/healthz" && return; sleep 0.1; done
  echo "$1 did not start:"; cat "$WORK/$1.log"; exit 1
}

flood() { # port: four hostile calls in flight, each restarted when it ends
  local body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"flood_reads","arguments":{}}}'
  for _ in 1 2 3 4; do
    (while :; do
      curl -s -o /dev/null -X POST "http://127.0.0.1:$1/mcp" -H 'Content-Type: application/json' \
        -H 'Accept: application/json, text/event-stream' -d "$body"
      echo x >>"$WORK/floods-$1"
    done) &
    FLOODS+=($!)
  done
  sleep 0.5
}
unflood() {
  kill "${FLOODS[@]}" 2>/dev/null || true
  wait "${FLOODS[@]}" 2>/dev/null || true
  FLOODS=()
  # The server may still run the last calls (a host without budgets runs each
  # to its 5 s deadline): let them end before the next quiet run.
  sleep 6
}

measure() { # port: "p50 p99 errors" of list_groups at 8 connections
  local line
  line=$(TOOL=list_groups ARGS='{"size":50}' wrk -t1 -c8 -d"${MSECS}s" --latency -s "$LUA" \
    "http://127.0.0.1:$1/mcp" | grep '^RESULT')
  sed -E 's/.*p50_us=([0-9]+) p99_us=([0-9]+) requests=([0-9]+) errors=([0-9]+).*/\1 \2 \4/' <<<"$line"
}

SIDES=("current:$BIN:18791")
[ -n "${BASELINE_BIN:-}" ] && SIDES=("baseline:$BASELINE_BIN:18790" "${SIDES[@]}")
for side in "${SIDES[@]}"; do
  IFS=: read -r name bin port <<<"$side"
  start "$name" "$bin" "$port"
done

RESULTS="$WORK/results"
for round in $(seq 1 "$ROUNDS"); do
  for side in "${SIDES[@]}"; do
    IFS=: read -r name _ port <<<"$side"
    # Alternate which condition goes first, so drift hits both alike.
    if [ $((round % 2)) = 1 ]; then order="quiet noisy"; else order="noisy quiet"; fi
    for cond in $order; do
      [ "$cond" = noisy ] && flood "$port"
      echo "$name $cond $(measure "$port")" >>"$RESULTS"
      [ "$cond" = noisy ] && unflood
    done
  done
done

python3 - "$RESULTS" "$WORK" "$ROUNDS" "$MSECS" <<'PY'
import collections, os, statistics, sys
path, work, rounds, secs = sys.argv[1:]
runs = collections.defaultdict(list)
for line in open(path):
    name, cond, p50, p99, errors = line.split()
    runs[(name, cond)].append((int(p50), int(p99), int(errors)))
print(f"list_groups (size 50), 8 connections, {rounds} rounds of {secs} s, medians (µs);")
print("noisy: four hostile flood_reads calls in flight throughout")
print(f"{'host':<10} {'quiet p50':>10} {'quiet p99':>10} {'noisy p50':>10} {'noisy p99':>10} {'p50 ×':>7} {'p99 ×':>7} {'errors':>7} {'floods':>7}")
for name in dict.fromkeys(n for n, _ in runs):
    q, n = runs[(name, "quiet")], runs[(name, "noisy")]
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    qp50, qp99, np50, np99 = med(q, 0), med(q, 1), med(n, 0), med(n, 1)
    errors = sum(x[2] for x in q + n)
    port = {"baseline": "18790", "current": "18791"}[name]
    fpath = os.path.join(work, f"floods-{port}")
    nflood = sum(1 for _ in open(fpath)) if os.path.exists(fpath) else 0
    print(f"{name:<10} {qp50:>10.0f} {qp99:>10.0f} {np50:>10.0f} {np99:>10.0f} {np50 / qp50:>7.1f} {np99 / qp99:>7.1f} {errors:>7} {nflood:>7}")
PY
