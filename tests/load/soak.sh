#!/usr/bin/env bash
# Soak (#21): the real binary on PostgreSQL under wrk at 128 connections for
# MINUTES minutes (10 by default), a mix of reads and confirmed writes
# (tests/load/soak.lua: 40 % list_groups, 30 % get_group, 20 % get_user, 10 %
# create_access_request asked and then confirmed over protocol 2026-07-28).
# wrk runs one minute at a time, back to back, so each minute gets its own
# calls/s, p50 and p99; the server's RSS is read after each. Fails when RSS
# grows by more than 10 % after the first minute, or any call errs. Then the
# database's invariants (no two PENDING requests of one user and target).
# Needs `wrk`, `psql` and PostgreSQL (DATABASE_TEST_POSTGRES, else
# 127.0.0.1:5432); run `.ci/build` first.
# When the server runs with autovacuum off (this machine's does), the script
# runs `VACUUM (ANALYZE)` on the request tables after each minute, as
# autovacuum would: without it dead row versions and stale statistics slow
# every read of access_request as the run goes on, which no deployment sees.
# With INDEXES=1, the indexes docs/database.md recommends are created first;
# with SOAK_WRITES=0, reads only.
# Usage: [MINUTES=10] [CONNECTIONS=128] [ROUND=60] [INDEXES=1] tests/load/soak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${MINUTES:-10}
CONNECTIONS=${CONNECTIONS:-128}
ROUND=${ROUND:-60} # seconds per row (60: a row a minute)
BIN=target/release/access-mcp
[ -x "$BIN" ] || { echo "run .ci/build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
PG=${DATABASE_TEST_POSTGRES:-postgresql://postgres@127.0.0.1:5432/postgres}
NAME=access_mcp_soak_$$
URL="${PG%/*}/$NAME"
WORK=$(mktemp -d)
PORT=18797
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  [ -n "${KEEP_DB:-}" ] && echo "kept database $NAME" || psql "$PG" -qc "DROP DATABASE IF EXISTS $NAME" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
psql "$PG" -qc "CREATE DATABASE $NAME" >/dev/null
"$BIN" demo --database-uri "$URL" 2>/dev/null
if [ -n "${INDEXES:-}" ]; then
  sed -n 's/^\(CREATE INDEX .*;\)$/\1/p' docs/database.md | psql "$URL" -q
  echo "with the $(grep -c '^CREATE INDEX' docs/database.md) indexes docs/database.md recommends"
fi
DATABASE_URI="$URL" ACCESS_MCP_LISTEN=127.0.0.1:$PORT ACCESS_MCP_PLUGINS_DIR=target/plugins \
  ACCESS_MCP_CACHE_DIR="$WORK/cache" RUST_LOG=warn ENV=development \
  "$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$PID/status"; }
autovacuum=$(psql "$URL" -Atc "SHOW autovacuum")
[ "$autovacuum" = on ] || echo "autovacuum is off on this server: the script vacuums and analyzes the request tables after each minute"

echo "soak: $MINUTES min at $CONNECTIONS connections on PostgreSQL; RSS at start $(( $(rss) / 1024 )) MiB"
echo
echo "| minute | calls/s | p50 ms | p99 ms | errors | confirmed writes | RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
first=
failed=0
for m in $(seq 1 "$MINUTES"); do
  out=$(SOAK_DEBUG=${SOAK_DEBUG:-} SOAK_WRITES=${SOAK_WRITES:-1} wrk -t2 -c"$CONNECTIONS" -d"${ROUND}s" --latency -s tests/load/soak.lua "http://127.0.0.1:$PORT/mcp" | grep '^RESULT')
  now=$(rss)
  [ -z "$first" ] && first=$now
  python3 - "$m" "$out" "$now" <<'PY'
import re, sys
m, out, rss = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = dict(re.findall(r"(\w+)=([0-9.]+)", out))
print(f"| {m} | {float(f['rps']):.0f} | {int(f['p50_us'])/1000:.1f} | {int(f['p99_us'])/1000:.1f} | {f['errors']} | {f['writes']} | {rss/1024:.0f} |")
PY
  if [ "$autovacuum" != on ]; then
    psql "$URL" -qc "VACUUM (ANALYZE) access_request, role_request, group_request" >/dev/null
  fi
  errs=$(sed -E 's/.* errors=([0-9]+).*/\1/' <<<"$out")
  [ "$errs" = 0 ] || failed=1
done
echo
growth=$(python3 -c "print(f'{($(rss) - $first) * 100 / $first:+.1f}')")
echo "RSS after minute 1: $(( first / 1024 )) MiB; at the end: $(( $(rss) / 1024 )) MiB ($growth %)"
python3 -c "import sys; sys.exit(0 if $(rss) <= $first * 1.10 else 1)" || { echo "FAIL: RSS grew by more than 10 % after the first minute"; failed=1; }
twice=$(psql "$URL" -Atqc "SELECT count(*) FROM (SELECT requester_user_id, requested_group_id, request_ownership FROM access_request WHERE status = 'PENDING' GROUP BY 1, 2, 3 HAVING count(*) > 1) d")
filed=$(psql "$URL" -Atqc "SELECT count(*) FROM access_request WHERE request_reason = 'soak'")
echo "requests filed: $filed; user-and-target pairs with two PENDING: $twice"
[ "$twice" = 0 ] || failed=1
[ "$failed" = 0 ] && echo "soak: passed" || { echo "soak: FAILED"; grep -m5 -i "error\|panic" "$WORK/server.log" || true; exit 1; }
