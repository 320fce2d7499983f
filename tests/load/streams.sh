#!/usr/bin/env bash
# 1 000 concurrent open event streams on one server, and its RSS (#21): half
# legacy session GET streams, half protocol 2026-07-28 subscriptions/listen
# (tests/load/streams.py). Run `.ci/build` first.
# Usage: [COUNT=1000] [HOLD=10] tests/load/streams.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=target/release/access-mcp
[ -x "$BIN" ] || { echo "run .ci/build first" >&2; exit 1; }
WORK=$(mktemp -d)
PORT=18796
PID=
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$WORK"' EXIT
serve() {
  ACCESS_MCP_STATEFUL=true ACCESS_MCP_LISTEN=127.0.0.1:$PORT ACCESS_MCP_PLUGINS_DIR=target/plugins \
    ACCESS_MCP_DEMO_DB="$WORK/demo.db" ACCESS_MCP_CACHE_DIR="$WORK/cache" RUST_LOG=warn ENV=development \
    "$BIN" serve >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
}
# A first start compiles the plugins into the cache; measure a restart, as a
# deployment runs (docs/performance.md gives the cold start's RSS too).
serve
cold=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID/status")
kill $PID; wait $PID 2>/dev/null || true
serve
echo "streams: server RSS $((cold / 1024)) MiB after a cold start (plugins compiled), restarting with the compile cache"
python3 tests/load/streams.py "http://127.0.0.1:$PORT/mcp" "$PID" "${COUNT:-1000}" "${HOLD:-10}"
