#!/usr/bin/env python3
"""What the real plugins use of each per-call budget, on the large organisation.

A bench, not a timed test (run `.ci/build` first):

    python3 tests/load/budgets.py

Creates the large synthetic organisation (10 000 users, 5 000 groups, 200 000
memberships, 20 000 requests) in a temporary SQLite file, serves it with the
built plugins, calls every tool with its heaviest arguments (the largest
page, the 5 000-member group, the user in 500 groups, the writes), reads the
usage the host logs for each call (`mcp_host::sandbox::usage` at debug),
and prints each call's use of every budget, the maximum, the default limit and
what share of it the maximum is.
"""

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.join(ROOT, "target", "release", "access-mcp")
PLUGINS = os.path.join(ROOT, "target", "plugins")
DEFAULTS = {"imports": 1000, "rows": 50000, "log_records": 100, "log_bytes": 65536, "writes": 1}
BUDGETS = ["imports", "rows", "log_records", "log_bytes", "writes", "memory_peak_kib"]


def post(url, method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, data=body, headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def call(url, tool, args):
    return post(url, "tools/call", {"name": tool, "arguments": args})["result"]


def first(url, tool, key):
    """The `key` of the first result of a list tool (for the get_ tools)."""
    r = call(url, tool, {"size": 1})["structuredContent"]["results"]
    return r[0][key] if r else ""


def main():
    if not os.path.exists(BIN):
        sys.exit("run .ci/build first")
    work = tempfile.mkdtemp()
    db = os.path.join(work, "large.db")
    t = time.time()
    subprocess.run([BIN, "demo", "--database-uri", f"sqlite:///{db}", "--large"], check=True,
                   stderr=subprocess.DEVNULL)
    print(f"large organisation created in {time.time() - t:.0f} s", file=sys.stderr)
    env = dict(os.environ, ENV="development", DATABASE_URI=f"sqlite:///{db}",
               ACCESS_MCP_LISTEN="127.0.0.1:0", ACCESS_MCP_PLUGINS_DIR=PLUGINS,
               ACCESS_MCP_CACHE_DIR=os.path.join(work, "cache"), ACCESS_MCP_LOG_FORMAT="json",
               RUST_LOG="warn,mcp_host::server=info,mcp_host::sandbox::usage=debug",
               MCP_WRITE_CONFIRMATION="off")
    server = subprocess.Popen([BIN, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in server.stderr], daemon=True).start()
    url = None
    while url is None:
        v = json.loads(lines.get(timeout=60))
        url = v.get("fields", {}).get("url")
    try:
        def drain():
            found = []
            while True:
                try:
                    v = json.loads(lines.get(timeout=0.3))
                except queue.Empty:
                    return found
                if v.get("fields", {}).get("message") == "call usage":
                    found.append(v["fields"])
        drain()  # the loading calls
        big = "Big-Group"
        busy = "busy.user@example.com"
        calls = [
            ("list_groups", {"size": 100}),
            ("list_groups", {"q": "group", "size": 100}),
            ("get_group", {"group_id_or_name": big}),
            ("get_group", {"group_id_or_name": first(url, "list_groups", "name")}),
            ("list_group_memberships", {"group_id_or_name": big}),
            ("list_users", {"size": 100}),
            ("get_user", {"user_id_or_email": busy}),
            ("get_user", {"user_id_or_email": "@me"}),
            ("list_roles", {"size": 100}),
            ("get_role", {"role_id_or_name": first(url, "list_roles", "name")}),
            ("list_apps", {"size": 100}),
            ("get_app", {"app_id_or_name": first(url, "list_apps", "name")}),
            ("list_tags", {"size": 100}),
            ("get_tag", {"tag_id_or_name": first(url, "list_tags", "name")}),
            ("list_access_requests", {"size": 100}),
            ("get_access_request", {"access_request_id": first(url, "list_access_requests", "id")}),
            ("list_role_requests", {"size": 100}),
            ("get_role_request", {"role_request_id": first(url, "list_role_requests", "id")}),
            ("list_group_requests", {"size": 100}),
            ("get_group_request", {"group_request_id": first(url, "list_group_requests", "id")}),
            ("list_audit_entries", {"user_id": busy, "size": 100}),
            ("list_audit_entries", {"group_id": big, "size": 100}),
            ("create_access_request", {"group_id": first(url, "list_groups", "id"), "reason": "budget bench"}),
            ("create_group_request", {"group_name": "Budget-Bench", "group_type": "okta_group",
                                      "reason": "budget bench"}),
        ]
        drain()
        rows = []
        for tool, args in calls:
            result = call(url, tool, args)
            usage = drain()
            if not usage:
                sys.exit(f"no usage line for {tool}: is RUST_LOG honoured?")
            u = usage[-1]
            label = f"{tool} {json.dumps(args)[:48]}"
            rows.append((label, result.get("isError"), u))
        post(url, "prompts/get", {"name": "request_access", "arguments": {}})
        for u in drain():
            rows.append(("prompts/get request_access", False, u))
    finally:
        server.terminate()
        server.wait()
    w = max(len(r[0]) for r in rows)
    head = "".join(f"{b:>17}" for b in BUDGETS)
    print(f"{'call (large organisation)':<{w}}  err {head}")
    for label, err, u in rows:
        print(f"{label:<{w}}  {'yes' if err else ' no'} " + "".join(f"{int(u[b]):>17}" for b in BUDGETS))
    peak = {b: max(int(u[b]) for _, _, u in rows) for b in BUDGETS}
    print(f"{'maximum':<{w}}      " + "".join(f"{peak[b]:>17}" for b in BUDGETS))
    print(f"{'default budget':<{w}}      " + "".join(f"{DEFAULTS.get(b, '-'):>17}" for b in BUDGETS))
    print(f"{'maximum / default':<{w}}      " + "".join(
        f"{100 * peak[b] / DEFAULTS[b]:>16.1f}%" if b in DEFAULTS else f"{'-':>17}" for b in BUDGETS))


if __name__ == "__main__":
    main()
