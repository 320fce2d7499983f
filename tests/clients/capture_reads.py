"""Capture the raw results of every read tool, for proving that a refactor of
the plugins changed no output byte.

Calls each read tool with many argument sets (paging shapes, filters, `@me`,
not-found cases, the detail of the first 100 rows of each list) on a
running server and writes one JSON line per call: name, arguments, isError, the
text content and the structured content. Run it twice against the same
database file (copy it: the demo database is created with times relative to
its creation) with the two plugin builds, once more with
MCP_INLINE_LIST_LIMIT=2 for the capped lists, and `cmp` the files. With
CAPTURE_RAW=1 each line holds the whole HTTP response body as received
instead, for proving that a change of the host changed no response byte.

Usage: python3 tests/clients/capture_reads.py http://127.0.0.1:8787/mcp out.jsonl
"""
import json, os, sys, urllib.request
url, out = sys.argv[1], sys.argv[2]
raw_mode = os.environ.get("CAPTURE_RAW") == "1"
def call(name, args):
    body = json.dumps({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":name,"arguments":args}}).encode()
    req = urllib.request.Request(url, body, {"Content-Type":"application/json","Accept":"application/json, text/event-stream"})
    raw = urllib.request.urlopen(req).read().decode()
    msg = json.loads(raw)
    if raw_mode:
        lines.append(json.dumps([name, args, raw]))
    return msg
lines = []
def rec(name, args):
    m = call(name, args)
    r = m.get("result")
    if r is None:
        if not raw_mode:
            lines.append(json.dumps([name, args, "ERR", m.get("error")]))
        return None
    text = r["content"][0]["text"]
    if not raw_mode:
        lines.append(json.dumps([name, args, r.get("isError", False), text, json.dumps(r.get("structuredContent"))]))
    try:
        return json.loads(text)
    except Exception:
        return None
ids = {}
for tool, key in [("list_groups","groups"),("list_roles","roles"),("list_apps","apps"),("list_users","users"),("list_tags","tags"),
                  ("list_access_requests","areq"),("list_role_requests","rreq"),("list_group_requests","greq")]:
    for args in [{}, {"size":100}, {"size":3,"page":1}, {"page":-1}, {"size":0}, {"size":500}, {"page":999}, {"q":"e"}, {"q":"%"}, {"q":"_"}]:
        v = rec(tool, args)
        if args == {"size":100} and v and "results" in v:
            ids[key] = [x.get("id") for x in v["results"]]
for args in [{"managed":True},{"managed":False},{"managed":"true"}]:
    rec("list_groups", args)
for s in ["PENDING","APPROVED","REJECTED","bogus"]:
    for tool in ["list_access_requests","list_role_requests","list_group_requests"]:
        rec(tool, {"status": s})
for tool in ["list_access_requests","list_role_requests","list_group_requests"]:
    rec(tool, {"requester_user_id":"@me"})
    rec(tool, {"assignee_user_id":"@me"})
rec("list_users", {"q":"Engineer"})
for g in ids.get("groups", []):
    rec("get_group", {"group_id_or_name": g})
    rec("list_group_memberships", {"group_id": g})
    rec("list_audit_entries", {"group_id": g, "size": 20})
    rec("list_audit_entries", {"group_id": g, "active_only": True})
for r in ids.get("roles", []): rec("get_role", {"role_id_or_name": r})
for a in ids.get("apps", []): rec("get_app", {"app_id_or_name": a})
for u in ids.get("users", []):
    rec("get_user", {"user_id_or_email": u})
    rec("list_audit_entries", {"user_id": u})
rec("get_user", {"user_id_or_email": "@me"})
for t in ids.get("tags", []): rec("get_tag", {"tag_id_or_name": t})
for k, tool, p in [("areq","get_access_request","access_request_id"),("rreq","get_role_request","role_request_id"),("greq","get_group_request","group_request_id")]:
    for i in ids.get(k, []): rec(tool, {p: i})
    rec(tool, {p: "nope"})
for tool, p in [("get_group","group_id_or_name"),("get_role","role_id_or_name"),("get_app","app_id_or_name"),("get_user","user_id_or_email"),("get_tag","tag_id_or_name")]:
    rec(tool, {p: "nope"}); rec(tool, {})
rec("get_group", {"group_id_or_name":"Engineering"})
rec("list_audit_entries", {})
rec("list_audit_entries", {"size": 100, "page": 2})
open(out, "w").write("\n".join(lines) + "\n")
print(len(lines), "calls")
