#!/usr/bin/env bash
# Load benchmark of the real binary with wrk (run `.ci/build` first; needs
# `wrk`, e.g. `apt-get install wrk`). Prints requests/s, p50, p99 and errors of
# `tools/call` for list_groups (size 50), get_group and get_user at 1, 8, 32
# and 128 connections on the demo database, then get_group of the 5 000-member
# group and get_user of the user in 500 groups on the large organisation, with
# Access's schema as it is and with the two indexes upstream added later.
# Usage: tests/load/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
BIN=target/release/access-mcp
LUA=tests/load/call.lua
[ -x "$BIN" ] || { echo "run .ci/build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18787

start() { # $1 = DATABASE_URI or empty for the demo
  local extra=()
  [ -n "${1:-}" ] && extra=(env DATABASE_URI="$1")
  "${extra[@]}" env ACCESS_MCP_LISTEN=127.0.0.1:$PORT ACCESS_MCP_PLUGINS_DIR=target/plugins \
    ACCESS_MCP_DEMO_DB="$WORK/demo.db" ACCESS_MCP_CACHE_DIR="$WORK/cache" RUST_LOG=warn ENV=development \
    ${EXTRA_ENV:-} "$BIN" serve >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return; sleep 0.1; done
  echo "server did not start:"; cat "$WORK/server.log"; exit 1
}
stop() { kill $PID; wait $PID 2>/dev/null || true; }

run() { # label tool args connections
  local out
  out=$(TOOL=$2 ARGS=$3 wrk -t1 -c"$4" -d"${SECS}s" --latency -s "$LUA" "http://127.0.0.1:$PORT/mcp" | grep '^RESULT')
  local rps p50 p99 errors
  rps=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$out")
  p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$out")
  p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$out")
  errors=$(sed -E 's/.* errors=([0-9]+).*/\1/' <<<"$out")
  printf "%-44s %5s %10s %9s %9s %8s\n" "$1" "$4" "$rps" "$p50" "$p99" "$errors"
}
header() { printf "\n%s\n%-44s %5s %10s %9s %9s %8s\n" "$1" "tool call" "conns" "req/s" "p50 µs" "p99 µs" "errors"; }

start ""
header "demo database (SQLite), ${SECS}s per run"
for c in 1 8 32 128; do
  run "list_groups size=50" list_groups '{"size":50}' $c
  run "get_group Engineering" get_group '{"group_id_or_name":"Engineering"}' $c
  run "get_user wumpus@discord.com" get_user '{"user_id_or_email":"wumpus@discord.com"}' $c
done
stop

header "metrics off and on, same run (list_groups size=50, 32 connections)"
for m in false true; do
  EXTRA_ENV="ACCESS_MCP_METRICS=$m" start ""
  run "list_groups, ACCESS_MCP_METRICS=$m" list_groups '{"size":50}' 32
  stop
done

"$BIN" demo --database-uri "sqlite:///$WORK/large.db" --large 2>/dev/null
start "sqlite:///$WORK/large.db"
header "large organisation (SQLite), Access's schema as it is"
run "get_group Big-Group (5 000 members)" get_group '{"group_id_or_name":"Big-Group"}' 8
run "get_user of the user in 500 groups" get_user '{"user_id_or_email":"busy.user@example.com"}' 8
stop
python3 - "$WORK/large.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE INDEX idx_ougm_user_owner_ended ON okta_user_group_member (user_id, is_owner, ended_at)")
c.execute("CREATE INDEX idx_ougm_group_owner_ended ON okta_user_group_member (group_id, is_owner, ended_at)")
c.commit()
PY
start "sqlite:///$WORK/large.db"
header "large organisation (SQLite), with the two okta_user_group_member indexes"
run "get_group Big-Group (5 000 members)" get_group '{"group_id_or_name":"Big-Group"}' 8
run "get_user of the user in 500 groups" get_user '{"user_id_or_email":"busy.user@example.com"}' 8
stop
