#!/usr/bin/env python3
"""Check demo_seed.sql against the Access SQLite schema.

Usage: python3 check_demo_seed.py SCHEMA.sql demo_seed.sql

Loads both into a fresh in-memory database with foreign keys on, then checks:
- PRAGMA foreign_key_check is empty;
- every DATETIME column holds NULL or text matching 'YYYY-MM-DD HH:MM:SS.ffffff';
- the demo invariants the app relies on (Wumpus is an admin, owns a group, a role and Grafana, ...);
and prints the row count of every table. Exits 1 on any failure.
"""
import re
import sqlite3
import sys

TS = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
WUMPUS = "00uwumpus000000000001"
ACTIVE = "(m.ended_at IS NULL OR m.ended_at > strftime('%Y-%m-%d %H:%M:%f000', 'now'))"


def main(schema_path, seed_path):
    db = sqlite3.connect(":memory:")
    db.execute("PRAGMA foreign_keys=ON")
    with open(schema_path, encoding="utf-8") as f:
        db.executescript(f.read())
    with open(seed_path, encoding="utf-8") as f:
        seed = f.read()
    db.executescript(seed)
    problems = []

    fk = db.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        problems.append(f"foreign_key_check: {fk}")

    tables = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    n_ts = 0
    for t in tables:
        for col in db.execute(f'PRAGMA table_info("{t}")').fetchall():
            name, typ = col[1], (col[2] or "").upper()
            if typ != "DATETIME":
                continue
            for (v,) in db.execute(f'SELECT "{name}" FROM "{t}" WHERE "{name}" IS NOT NULL'):
                n_ts += 1
                if not isinstance(v, str) or not TS.match(v):
                    problems.append(f"{t}.{name}: bad timestamp {v!r}")

    # time ordering sanity
    for t, a, b in [("okta_user_group_member", "created_at", "ended_at"), ("role_group_map", "created_at", "ended_at"),
                    ("okta_group_tag_map", "created_at", "ended_at"), ("access_request", "created_at", "resolved_at"),
                    ("role_request", "created_at", "resolved_at"), ("group_request", "created_at", "resolved_at"),
                    ("okta_user", "created_at", "deleted_at"), ("okta_group", "created_at", "deleted_at")]:
        bad = db.execute(f"SELECT id FROM {t} WHERE {b} IS NOT NULL AND {b} < {a}").fetchall()
        if bad:
            problems.append(f"{t}: {b} before {a} for {bad}")

    # joined-table inheritance consistency
    checks = {
        "app groups without app_group row": "SELECT id FROM okta_group WHERE type='app_group' AND id NOT IN (SELECT id FROM app_group)",
        "role groups without role_group row": "SELECT id FROM okta_group WHERE type='role_group' AND id NOT IN (SELECT id FROM role_group)",
        "app_group rows of wrong type": "SELECT a.id FROM app_group a JOIN okta_group g ON g.id=a.id WHERE g.type!='app_group'",
        "role_group rows of wrong type": "SELECT r.id FROM role_group r JOIN okta_group g ON g.id=r.id WHERE g.type!='role_group'",
        "bad group type": "SELECT id FROM okta_group WHERE type NOT IN ('okta_group','role_group','app_group')",
        "app group name not App-<App>-": "SELECT g.name FROM app_group a JOIN okta_group g ON g.id=a.id JOIN app ON app.id=a.app_id WHERE g.name NOT LIKE 'App-' || app.name || '-%'",
        "owners group misnamed": "SELECT g.name FROM app_group a JOIN okta_group g ON g.id=a.id JOIN app ON app.id=a.app_id WHERE a.is_owner=1 AND g.name != 'App-' || app.name || '-Owners'",
        "role not named Role-": "SELECT g.name FROM okta_group g WHERE type='role_group' AND name NOT LIKE 'Role-%'",
        "role mapped onto a role": "SELECT m.id FROM role_group_map m JOIN okta_group g ON g.id=m.group_id WHERE g.type='role_group'",
        "pending with resolved_at": "SELECT id FROM access_request WHERE status='PENDING' AND resolved_at IS NOT NULL UNION ALL SELECT id FROM role_request WHERE status='PENDING' AND resolved_at IS NOT NULL UNION ALL SELECT id FROM group_request WHERE status='PENDING' AND resolved_at IS NOT NULL",
        "resolved without resolver": "SELECT id FROM access_request WHERE status!='PENDING' AND (resolved_at IS NULL OR resolver_user_id IS NULL) UNION ALL SELECT id FROM role_request WHERE status!='PENDING' AND (resolved_at IS NULL OR resolver_user_id IS NULL) UNION ALL SELECT id FROM group_request WHERE status!='PENDING' AND (resolved_at IS NULL OR resolver_user_id IS NULL)",
        "bad status": "SELECT id FROM access_request WHERE status NOT IN ('PENDING','APPROVED','REJECTED') UNION ALL SELECT id FROM role_request WHERE status NOT IN ('PENDING','APPROVED','REJECTED') UNION ALL SELECT id FROM group_request WHERE status NOT IN ('PENDING','APPROVED','REJECTED')",
        "access/role request id not 20 letters": "SELECT id FROM access_request WHERE length(id)!=20 OR id GLOB '*[^A-Za-z]*' UNION ALL SELECT id FROM role_request WHERE length(id)!=20 OR id GLOB '*[^A-Za-z]*'",
        "group request id not 20 alnum": "SELECT id FROM group_request WHERE length(id)!=20 OR id GLOB '*[^A-Za-z0-9]*'",
        "app id not 20 chars": "SELECT id FROM app WHERE length(id)!=20",
        "group_request tags not a JSON list": "SELECT id FROM group_request WHERE json_type(requested_group_tags)!='array' OR json_type(resolved_group_tags)!='array'",
        "unknown tag constraint key": "SELECT t.id FROM tag t, json_each(t.constraints) j WHERE j.key NOT IN ('member_time_limit','owner_time_limit','require_member_reason','require_owner_reason','disallow_self_add_membership','disallow_self_add_ownership')",
        "derived grant not matching its mapping": "SELECT m.id FROM okta_user_group_member m JOIN role_group_map r ON r.id=m.role_group_map_id WHERE m.group_id!=r.group_id OR m.is_owner!=r.is_owner",
        "approved access request not matching its grant": "SELECT a.id FROM access_request a JOIN okta_user_group_member m ON m.id=a.approved_membership_id WHERE m.user_id!=a.requester_user_id OR m.group_id!=a.requested_group_id OR m.is_owner!=a.request_ownership",
    }
    for what, sql in checks.items():
        bad = db.execute(sql).fetchall()
        if bad:
            problems.append(f"{what}: {bad}")

    def one(sql, *args):
        return db.execute(sql, args).fetchone()

    demo = {
        "wumpus exists": one("SELECT 1 FROM okta_user WHERE id=? AND email='wumpus@discord.com' AND deleted_at IS NULL", WUMPUS),
        "wumpus is Access admin (member of App-Access-Owners)": one(
            f"SELECT 1 FROM okta_user_group_member m JOIN app_group a ON a.id=m.group_id JOIN app ON app.id=a.app_id "
            f"WHERE app.name='Access' AND a.is_owner=1 AND m.is_owner=0 AND m.user_id=? AND {ACTIVE}", WUMPUS),
        "wumpus owns a plain group": one(
            f"SELECT 1 FROM okta_user_group_member m JOIN okta_group g ON g.id=m.group_id "
            f"WHERE g.type='okta_group' AND m.is_owner=1 AND m.user_id=? AND {ACTIVE}", WUMPUS),
        "wumpus owns a role": one(
            f"SELECT 1 FROM okta_user_group_member m JOIN okta_group g ON g.id=m.group_id "
            f"WHERE g.type='role_group' AND m.is_owner=1 AND m.user_id=? AND {ACTIVE}", WUMPUS),
        "wumpus owns App-Grafana-Owners": one(
            f"SELECT 1 FROM okta_user_group_member m JOIN okta_group g ON g.id=m.group_id "
            f"WHERE g.name='App-Grafana-Owners' AND m.is_owner=1 AND m.user_id=? AND {ACTIVE}", WUMPUS),
        "a pending access request": one("SELECT 1 FROM access_request WHERE status='PENDING' AND resolved_at IS NULL"),
        "a disabled tag": one("SELECT 1 FROM tag WHERE enabled=0"),
        "an unmanaged group": one("SELECT 1 FROM okta_group WHERE is_managed=0 AND deleted_at IS NULL"),
        "a propagated app tag": one("SELECT 1 FROM okta_group_tag_map WHERE app_tag_map_id IS NOT NULL"),
        "a future-ending grant": one(f"SELECT 1 FROM okta_user_group_member m WHERE m.ended_at > strftime('%Y-%m-%d %H:%M:%f000', 'now')"),
    }
    for status in ("PENDING", "APPROVED", "REJECTED"):
        for t in ("access_request", "role_request", "group_request"):
            demo[f"{t} {status}"] = one(f"SELECT 1 FROM {t} WHERE status=?", status)
    for what, row in demo.items():
        if not row:
            problems.append(f"demo invariant failed: {what}")

    print(f"{'table':<24} rows")
    for t in tables:
        print(f"{t:<24} {db.execute(f'SELECT count(*) FROM {t}').fetchone()[0]}")
    print(f"timestamps checked: {n_ts}")
    if problems:
        print("PROBLEMS:")
        for p in problems:
            print("  " + p)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
