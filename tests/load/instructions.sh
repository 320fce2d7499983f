#!/usr/bin/env bash
# Instructions per tool call, counted by valgrind's callgrind on the real binary
# (run `.ci/build` first; needs `valgrind`). Unlike requests per second, the
# count does not move with what else the machine is doing: the same build
# gives the same figure to within 0.3 %, so a change of a few per cent shows in
# one run where wrk's figures swing by 2x between runs. It counts user-space
# instructions only: the kernel's share (TCP on loopback, page faults) and
# memory stalls are not in it, so confirm a gain with `tests/load/run.sh`.
#
# Calls: list_groups (size 50), get_group, get_user on the demo database, and
# the trivial fixture plugin's `page` (a fixed list_groups page: the stack
# with no database and no shaping) and `echo` (a small object).
# With BASELINE_BIN=<binary> and/or BASELINE_PLUGINS=<dir>, that build runs
# beside this one and each figure gets its change against it.
# With KEEP=<dir>, each measurement's callgrind dump is kept there (for
# `callgrind_annotate --inclusive=yes <dir>/<build>-<tool>.out`).
# Usage: [CALLS=10] [BASELINE_BIN=file] [BASELINE_PLUGINS=dir] [KEEP=dir] tests/load/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$PWD/target/release/access-mcp
CALLS=${CALLS:-10}
. tests/load/plugins.sh
[ -x "$BIN" ] || { echo "run .ci/build first" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
WORK=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; rm -rf "$WORK"' EXIT


start() { # name binary plugin-dir port: the server under callgrind, counting from the start
  local w="$WORK/$1" env=()
  mkdir -p "$w"
  env=(ACCESS_MCP_LISTEN="127.0.0.1:$4" ACCESS_MCP_PLUGINS_DIR="$3" ACCESS_MCP_DEMO_DB="$w/demo.db"
    ACCESS_MCP_CACHE_DIR="$w/cache" RUST_LOG=warn ENV=development
    # valgrind cannot reserve the address space of the default pool (256 slots).
    ACCESS_MCP_MAX_INSTANCES=4)
  # Compile the components natively first: under valgrind that takes minutes.
  env "${env[@]}" "$2" plugins audit >/dev/null 2>&1 || true
  env "${env[@]}" valgrind --tool=callgrind --callgrind-out-file="$w/cg.out" "$2" serve >"$w/log" 2>&1 &
  PIDS+=($!)
  echo $! >"$w/pid"
  for _ in $(seq 1 600); do
    curl -s -o /dev/null "http://127.0.0.1:$4/healthz" && return
    kill -0 "$(cat "$w/pid")" 2>/dev/null || break
    sleep 1
  done
  echo "server $1 did not start:" >&2
  cat "$w/log" >&2
  exit 1
}

call() { # port tool arguments
  curl -s -m 120 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$1/mcp" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$2\",\"arguments\":$3}}"
}

per_call() { # name port tool arguments: instructions per call after two warm-up calls
  local w="$WORK/$1" pid before
  pid=$(cat "$w/pid")
  call "$2" "$3" "$4" >/dev/null
  call "$2" "$3" "$4" >/dev/null
  callgrind_control -z "$pid" >/dev/null 2>&1
  for _ in $(seq 1 "$CALLS"); do
    [ "$(call "$2" "$3" "$4")" = 200 ] || { echo "$3 failed on $1" >&2; exit 1; }
  done
  before=$(ls "$w"/cg.out.* 2>/dev/null | wc -l)
  callgrind_control -d "$pid" >/dev/null 2>&1
  for _ in $(seq 1 100); do
    [ "$(ls "$w"/cg.out.* 2>/dev/null | wc -l)" -gt "$before" ] && break
    sleep 0.2
  done
  local dump
  dump=$(ls -t "$w"/cg.out.* | head -1)
  [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$dump" "$KEEP/$1-$3.out"
  echo $(($(sed -n 's/^summary: //p' "$dump") / CALLS))
}

with_trivial target/plugins "$WORK/current-plugins"
start current "$BIN" "$WORK/current-plugins" 18790
BASELINE=""
if [ -n "${BASELINE_BIN:-}" ] || [ -n "${BASELINE_PLUGINS:-}" ]; then
  with_trivial "${BASELINE_PLUGINS:-target/plugins}" "$WORK/baseline-plugins"
  start baseline "$(realpath "${BASELINE_BIN:-$BIN}")" "$WORK/baseline-plugins" 18791
  BASELINE=1
fi

printf "instructions per call (callgrind, user space), mean of %s calls after 2 warm-up calls\n" "$CALLS"
printf "%-34s %14s %14s %8s\n" "tool call" "this build" "baseline" "change"
measure() { # label tool arguments
  local now base="" change=""
  now=$(per_call current 18790 "$2" "$3")
  if [ -n "$BASELINE" ]; then
    base=$(per_call baseline 18791 "$2" "$3")
    change=$(python3 -c "print(f'{100 * ($now - $base) / $base:+.1f}%')")
  fi
  printf "%-34s %14s %14s %8s\n" "$1" "$now" "$base" "$change"
}
measure "list_groups size=50" list_groups '{"size":50}'
measure "get_group Engineering" get_group '{"group_id_or_name":"Engineering"}'
measure "get_user wumpus@discord.com" get_user '{"user_id_or_email":"wumpus@discord.com"}'
measure "page (fixed list_groups page)" page '{}'
measure "echo {\"text\":\"hi\"}" echo '{"text":"hi"}'
