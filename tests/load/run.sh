#!/usr/bin/env bash
# Load benchmark of the real binary with wrk (run `.ci/build` first; needs
# `wrk`, e.g. `apt-get install wrk`). Prints requests/s, p50, p99 and errors of
# `tools/call` for list_groups (size 50), get_group and get_user at 1, 8, 32
# and 128 connections on the demo database; metrics off vs on and SQLite reads
# through sqlx vs in place (two servers each, alternating rounds, medians); then get_group of the 5 000-member group and
# get_user of the user in 500 groups on the large organisation at 1 and 8
# connections, with Access's schema as it is, with the two indexes upstream
# added later, and with the seven indexes docs/database.md recommends.
# With BASELINE_PLUGINS=<dir>, also compares that plugin folder with target/plugins;
# with BASELINE_BIN=<binary>, that build of the host with target/release/access-mcp;
# with both, also that whole build (its host and its plugins) with this one.
# With COMPARE_ONLY=1, only the baseline comparisons run (a change's cost, side by side).
# Usage: [ROUNDS=6] [MSECS=4] [BASELINE_PLUGINS=dir] [BASELINE_BIN=file] [COMPARE_ONLY=1] tests/load/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-10}
BIN=target/release/access-mcp
LUA=tests/load/call.lua
. tests/load/plugins.sh
[ -x "$BIN" ] || { echo "run .ci/build first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill $PID ${PID_A:-} ${PID_B:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=18787

start() { # $1 = DATABASE_URI or empty for the demo
  local extra=()
  [ -n "${1:-}" ] && extra=(env DATABASE_URI="$1")
  "${extra[@]}" env ACCESS_MCP_LISTEN=127.0.0.1:$PORT ACCESS_MCP_PLUGINS_DIR=target/plugins \
    ACCESS_MCP_DEMO_DB="$WORK/demo.db" ACCESS_MCP_CACHE_DIR="$WORK/cache" RUST_LOG=warn ENV=development \
    ${EXTRA_ENV:-} "${START_BIN:-$BIN}" serve >"$WORK/server-$PORT.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return; sleep 0.1; done
  echo "server did not start:"; cat "$WORK/server-$PORT.log"; exit 1
}
stop() { kill $PID; wait $PID 2>/dev/null || true; }

field() { # name RESULT-line: one figure of call.lua's RESULT line
  sed -E "s/.* $1=([0-9.]+).*/\\1/" <<<"$2"
}
TICK=$(getconf CLK_TCK)
cpu_ticks() { # pid: user+system CPU ticks of that process so far
  awk '{print $14 + $15}' "/proc/$1/stat"
}
run() { # label tool args connections
  local out before after
  before=$(cpu_ticks "$PID")
  # wrk runs in a child shell that prints, after wrk has exited, the CPU its
  # children used (cutime + cstime): the load generator's own share.
  out=$(TOOL=$2 ARGS=$3 bash -c 'wrk -t1 -c"$1" -d"$2" --latency -s "$3" "$4" | grep "^RESULT"
    read -ra s < /proc/$$/stat; echo "WRKCPU ticks=$((s[15] + s[16]))"' _ "$4" "${SECS}s" "$LUA" "http://127.0.0.1:$PORT/mcp")
  after=$(cpu_ticks "$PID")
  local result wrk_ticks
  result=$(grep '^RESULT' <<<"$out")
  wrk_ticks=$(grep '^WRKCPU' <<<"$out" | sed -E 's/.*ticks=([0-9]+).*/\1/')
  python3 - "$1" "$4" "$(field rps "$result")" "$(field p50_us "$result")" "$(field p99_us "$result")" \
    "$(field errors "$result")" "$(field requests "$result")" "$((after - before))" "$wrk_ticks" "$TICK" <<'PY'
import sys
label, conns, rps, p50, p99, errors, requests, server, wrk, tick = sys.argv[1:]
per_call = lambda ticks: f"{int(ticks) / int(tick) * 1e6 / max(int(requests), 1):.0f}"
print(f"{label:<44} {conns:>5} {rps:>10} {p50:>9} {p99:>9} {errors:>8} {per_call(server):>10} {per_call(wrk):>8}")
PY
}
header() {
  printf "\n%s\n%-44s %5s %10s %9s %9s %8s %10s %8s\n" "$1" "tool call" "conns" "req/s" "p50 µs" "p99 µs" \
    "errors" "server CPU" "wrk CPU"
  printf "%-44s %5s %10s %9s %9s %8s %10s %8s\n" "" "" "" "" "" "" "µs/call" "µs/call"
}

if [ -z "${COMPARE_ONLY:-}" ]; then
start ""
# The error counter must be able to fail: a call that is always a tool error
# has to be counted as one every time, or the figures below prove nothing.
check=$(TOOL=get_group ARGS='{"group_id_or_name":"No-Such-Group"}' wrk -t1 -c2 -d1s -s "$LUA" "http://127.0.0.1:$PORT/mcp" | grep '^RESULT')
requests=$(field requests "$check")
counted=$(field errors "$check")
if [ "$requests" = 0 ] || [ "$counted" != "$requests" ]; then
  echo "the error counter is broken: $counted errors counted of $requests failing calls" >&2
  exit 1
fi
echo "error counter checked: $counted of $requests calls of a missing group counted as errors"
header "demo database (SQLite), ${SECS}s per run"
for c in 1 8 32 128; do
  run "list_groups size=50" list_groups '{"size":50}' $c
  run "get_group Engineering" get_group '{"group_id_or_name":"Engineering"}' $c
  run "get_user wumpus@discord.com" get_user '{"user_id_or_email":"wumpus@discord.com"}' $c
done
stop

# What moving the bytes alone costs: `echo` (the trivial fixture plugin: no
# database, no shaping) of an object as large as a list_groups page, so 33 KB in
# and twice that out, next to a small echo; and `page`, which returns a fixed
# list_groups page of the demo database (no input, no database, no shaping):
# the floor under list_groups that this stack can reach on this machine.
ECHO_DIR="$WORK/echo-plugins"
with_trivial target/plugins "$ECHO_DIR"
EXTRA_ENV="ACCESS_MCP_PLUGINS_DIR=$ECHO_DIR" start ""
PAGE=$(curl -s -X POST "http://127.0.0.1:$PORT/mcp" -H 'Content-Type: application/json' \
  -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_groups","arguments":{"size":50}}}' |
  python3 -c 'import json, sys; print(json.dumps({"page": json.load(sys.stdin)["result"]["structuredContent"]}))')
header "echo through the same stack (no database, no shaping)"
for c in 1 32; do
  run "echo {\"text\":\"hi\"}" echo '{"text":"hi"}' $c
  run "echo of a list_groups page (${#PAGE} bytes)" echo "$PAGE" $c
  run "page: a fixed list_groups page, no input" page '{}' $c
done
stop

fi

# Side-by-side comparisons: two servers (one idles while the other is
# measured), runs alternating between them so drift of the machine hits both
# alike; the median of each side and their difference.
ROUNDS=${ROUNDS:-6} # even, so each side goes first equally often
MSECS=${MSECS:-4}
PORT_A=18788
PORT_B=18789
compare() { # label tool args name-of-a name-of-b
  # Rounds alternate which server goes first (a b, b a, ...): with a fixed
  # order, a drift in the machine's speed within a round favoured one side.
  local a=() b=() line rps order
  for round in $(seq 1 "$ROUNDS"); do
    order="a b"
    [ $((round % 2)) = 0 ] && order="b a"
    for side in $order; do
      local port=$PORT_A
      [ $side = b ] && port=$PORT_B
      line=$(TOOL=$2 ARGS=$3 wrk -t1 -c32 -d"${MSECS}s" --latency -s "$LUA" "http://127.0.0.1:$port/mcp" | grep '^RESULT')
      rps=$(field rps "$line")
      if [ $side = a ]; then a+=("$rps"); else b+=("$rps"); fi
    done
  done
  python3 - "$1" "$4" "$5" "${a[*]}" "${b[*]}" <<'PY'
import statistics, sys
label, na, nb = sys.argv[1:4]
a, b = ([float(x) for x in v.split()] for v in sys.argv[4:6])
ma, mb = statistics.median(a), statistics.median(b)
print(f"{label:<34} {na} {ma:8.1f}/s  {nb} {mb:8.1f}/s  {nb} vs {na} {100 * (mb - ma) / ma:+5.1f}%")
wins = sum(y > x for x, y in zip(a, b))
print(f"{'':<34} rounds {na}: {' '.join(f'{x:.0f}' for x in a)}  {nb}: {' '.join(f'{x:.0f}' for x in b)}"
      f"  ({nb} ahead in {wins} of {len(a)})")
PY
}
pair() { # env-of-a env-of-b [binary-of-a]: start the two servers
  PORT=$PORT_A EXTRA_ENV="$1" START_BIN="${3:-}" start ""
  PID_A=$PID
  PORT=$PORT_B EXTRA_ENV="$2" start ""
  PID_B=$PID
}
unpair() { kill $PID_A $PID_B; wait $PID_A $PID_B 2>/dev/null || true; }

if [ -z "${COMPARE_ONLY:-}" ]; then
pair "ACCESS_MCP_METRICS=false" "ACCESS_MCP_METRICS=true"
printf "\nmetrics off vs on, 32 connections, %s alternating rounds of %ss, median requests/s\n" "$ROUNDS" "$MSECS"
compare "list_groups size=50" list_groups '{"size":50}' off on
compare "list_tags size=1 (a cheap call)" list_tags '{"size":1}' off on
unpair

pair "ACCESS_MCP_SQLITE_INLINE_READS=false" "ACCESS_MCP_SQLITE_INLINE_READS=true"
printf "\nSQLite reads through sqlx's worker threads vs in place (the default), same rounds\n"
compare "list_groups size=50" list_groups '{"size":50}' sqlx inline
compare "get_group Engineering" get_group '{"group_id_or_name":"Engineering"}' sqlx inline
unpair
fi

compare_the_three() { # the issue's three calls, baseline (a) vs current (b)
  compare "list_groups size=50" list_groups '{"size":50}' baseline current
  compare "get_group Engineering" get_group '{"group_id_or_name":"Engineering"}' baseline current
  compare "get_user wumpus@discord.com" get_user '{"user_id_or_email":"wumpus@discord.com"}' baseline current
}

# Optional: another build of the plugins as the baseline (e.g. an earlier
# commit's target/plugins), same rounds.
if [ -n "${BASELINE_PLUGINS:-}" ]; then
  pair "ACCESS_MCP_PLUGINS_DIR=$BASELINE_PLUGINS" ""
  printf "\nplugins in %s (baseline) vs target/plugins, same rounds\n" "$BASELINE_PLUGINS"
  compare_the_three
  unpair
fi
# Optional: another build of the host as the baseline (e.g. an earlier
# commit's target/release/access-mcp, same plugins), same rounds.
if [ -n "${BASELINE_BIN:-}" ]; then
  pair "" "" "$BASELINE_BIN"
  printf "\nhost %s (baseline) vs %s, same plugins, same rounds\n" "$BASELINE_BIN" "$BIN"
  compare_the_three
  compare "list_users q=eng (a search)" list_users '{"q":"eng"}' baseline current
  unpair
fi
# Both: the baseline build as a whole (its host with its plugins) vs this one.
if [ -n "${BASELINE_BIN:-}" ] && [ -n "${BASELINE_PLUGINS:-}" ]; then
  pair "ACCESS_MCP_PLUGINS_DIR=$BASELINE_PLUGINS" "" "$BASELINE_BIN"
  printf "\nbaseline build (host %s, plugins %s) vs this build, same rounds\n" "$BASELINE_BIN" "$BASELINE_PLUGINS"
  compare_the_three
  unpair
fi
PORT=18787
[ -n "${COMPARE_ONLY:-}" ] && exit 0

large_runs() {
  for c in 1 8; do
    run "get_group Big-Group (5 000 members)" get_group '{"group_id_or_name":"Big-Group"}' $c
    run "get_user of the user in 500 groups" get_user '{"user_id_or_email":"busy.user@example.com"}' $c
  done
}

"$BIN" demo --database-uri "sqlite:///$WORK/large.db" --large 2>/dev/null
start "sqlite:///$WORK/large.db"
header "large organisation (SQLite), Access's schema as it is"
large_runs
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
large_runs
stop
python3 - "$WORK/large.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
# docs/database.md's seven (the ordered membership pair replaces upstream's two).
c.execute("DROP INDEX idx_ougm_user_owner_ended")
c.execute("DROP INDEX idx_ougm_group_owner_ended")
c.execute("CREATE INDEX idx_ougm_user_owner_created ON okta_user_group_member (user_id, is_owner, created_at, ended_at)")
c.execute("CREATE INDEX idx_ougm_group_owner_created ON okta_user_group_member (group_id, is_owner, created_at, ended_at)")
c.execute("CREATE INDEX idx_okta_group_name ON okta_group (name)")
c.execute("CREATE INDEX idx_ar_approved_membership ON access_request (approved_membership_id)")
c.execute("CREATE INDEX idx_rgm_group_owner_ended ON role_group_map (group_id, is_owner, ended_at)")
c.execute("CREATE INDEX idx_rgm_role_owner_ended ON role_group_map (role_id, is_owner, ended_at)")
c.execute("CREATE INDEX idx_ogtm_group_ended ON okta_group_tag_map (group_id, ended_at)")
c.commit()
PY
start "sqlite:///$WORK/large.db"
header "large organisation (SQLite), with the seven recommended indexes"
large_runs
stop
