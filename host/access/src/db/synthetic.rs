//! A synthetic large organisation in Access's schema, for the scale benchmark
//! and load tests: 10 000 users, 5 000 groups, 200 000 memberships, 20 000
//! requests, one group with 5 000 members and one user in 500 groups.
//! Deterministic (seeded), written in multi-row batches through the same
//! typed queries as the host, so it works on SQLite and PostgreSQL.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::time::now;
use super::{Db, DbError, Query, Tx};

/// Sizes of the organisation.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub users: usize,
    pub groups: usize,
    pub memberships: usize,
    pub requests: usize,
    pub big_group_members: usize,
    pub busy_user_groups: usize,
}

impl Scale {
    /// The organisation of the scale benchmark.
    pub const LARGE: Scale = Scale {
        users: 10_000,
        groups: 5_000,
        memberships: 200_000,
        requests: 20_000,
        big_group_members: 5_000,
        busy_user_groups: 500,
    };
}

/// Well-known ids in the generated organisation.
pub const BIG_GROUP: &str = "00gsynthbiggroup0000";
pub const BIG_GROUP_NAME: &str = "Big-Group";
pub const BUSY_USER: &str = "00usynthbusyuser0001";
pub const BUSY_USER_EMAIL: &str = "busy.user@example.com";
pub const DEV_USER: &str = "00uwumpus000000000001";
pub const ACCESS_APP: &str = "synthaccessapp000000";

fn user_id(i: usize) -> String {
    match i {
        0 => DEV_USER.into(),
        1 => BUSY_USER.into(),
        _ => format!("00usynth{i:012}"),
    }
}

fn group_id(i: usize) -> String {
    if i == 0 {
        BIG_GROUP.into()
    } else {
        format!("00gsynth{i:012}")
    }
}

/// Kind of group `i`: the first 10 % are roles, the next 10 % app groups.
fn group_kind(i: usize, scale: &Scale) -> &'static str {
    let roles = scale.groups / 10;
    if i == 0 {
        "okta_group"
    } else if i <= roles {
        "role_group"
    } else if i <= 2 * roles {
        "app_group"
    } else {
        "okta_group"
    }
}

const APPS: usize = 50;

/// Batched multi-row INSERT.
struct Batch<'a> {
    table: &'a str,
    columns: &'a str,
    q: Query,
    rows: usize,
}

impl<'a> Batch<'a> {
    fn new(table: &'a str, columns: &'a str) -> Self {
        Batch {
            table,
            columns,
            q: Query::default(),
            rows: 0,
        }
    }

    async fn row(&mut self, tx: &mut Tx, values: Vec<String>) -> Result<(), DbError> {
        self.q.push(if self.rows == 0 { "" } else { ", " });
        self.q.push(&format!("({})", values.join(", ")));
        self.rows += 1;
        // SQLite looks `$n` names up linearly, so a statement with n parameters
        // costs O(n²) to bind: keep its batches small. PostgreSQL likes big ones.
        let limit = match tx {
            Tx::Sqlite(_) => 240,
            Tx::Postgres(_) => 5_000,
        };
        if self.q.args.len() > limit {
            self.flush(tx).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, tx: &mut Tx) -> Result<(), DbError> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut q = std::mem::take(&mut self.q);
        q.sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table, self.columns, q.sql
        );
        tx.execute(&q).await?;
        self.rows = 0;
        Ok(())
    }
}

fn ts(q: &mut Query, t: NaiveDateTime) -> String {
    q.timestamp(t)
}

/// Write the organisation into an empty Access schema.
pub async fn generate(db: &Db, scale: Scale) -> Result<(), DbError> {
    let mut rng = StdRng::seed_from_u64(42);
    let t0 = now();
    let ago = |days: i64| t0 - Duration::days(days);
    let mut tx = db.begin().await?;

    let mut users = Batch::new(
        "okta_user",
        "id, created_at, updated_at, deleted_at, email, first_name, last_name, display_name, profile, employee_number, manager_id",
    );
    for i in 0..scale.users {
        let q = &mut users.q;
        let email = match i {
            0 => "wumpus@discord.com".to_string(),
            1 => BUSY_USER_EMAIL.to_string(),
            _ => format!("user{i}@example.com"),
        };
        let v = vec![
            q.text(user_id(i)),
            ts(q, ago(1000)),
            ts(q, ago(10)),
            if i % 200 == 199 {
                ts(q, ago(5))
            } else {
                "NULL".into()
            },
            q.text(email),
            q.text(format!("First{i}")),
            q.text(format!("Last{i}")),
            q.text(format!("User {i}")),
            db.json_param(
                q,
                format!(
                    "{{\"Title\":\"Engineer {}\",\"Manager\":\"User {}\"}}",
                    i % 7,
                    i / 10
                ),
            ),
            q.text(format!("E{i:06}")),
            "NULL".into(),
        ];
        users.row(&mut tx, v).await?;
    }
    users.flush(&mut tx).await?;

    let mut apps = Batch::new(
        "app",
        "id, created_at, updated_at, deleted_at, name, description, app_group_lifecycle_plugin, plugin_data",
    );
    for a in 0..APPS {
        let q = &mut apps.q;
        let (id, name) = if a == 0 {
            (ACCESS_APP.to_string(), "Access".to_string())
        } else {
            (format!("synthapp{a:012}"), format!("App{a}"))
        };
        let v = vec![
            q.text(id),
            ts(q, ago(900)),
            ts(q, ago(90)),
            "NULL".into(),
            q.text(name),
            q.text("synthetic app"),
            "NULL".into(),
            "'{}'".into(),
        ];
        apps.row(&mut tx, v).await?;
    }
    apps.flush(&mut tx).await?;

    let mut groups = Batch::new(
        "okta_group",
        "id, type, created_at, updated_at, deleted_at, name, description, is_managed, plugin_data, externally_managed_data",
    );
    let mut roles = Batch::new("role_group", "id");
    let mut app_groups = Batch::new("app_group", "id, app_id, is_owner");
    let role_count = scale.groups / 10;
    for i in 0..scale.groups {
        let kind = group_kind(i, &scale);
        let app = (i % APPS, (i - role_count.min(i)) <= APPS);
        let name = match kind {
            _ if i == 0 => BIG_GROUP_NAME.to_string(),
            "role_group" => format!("Role-Synth-{i}"),
            "app_group" => {
                let a = app.0;
                let app_name = if a == 0 {
                    "Access".to_string()
                } else {
                    format!("App{a}")
                };
                if app.1 {
                    format!("App-{app_name}-Owners")
                } else {
                    format!("App-{app_name}-Group{i}")
                }
            }
            _ => format!("Group-{i}"),
        };
        let q = &mut groups.q;
        let v = vec![
            q.text(group_id(i)),
            q.text(kind),
            ts(q, ago(800)),
            ts(q, ago(30)),
            if i % 250 == 249 {
                ts(q, ago(3))
            } else {
                "NULL".into()
            },
            q.text(name),
            q.text(format!("Synthetic group {i} for the scale benchmark")),
            q.boolean(i % 50 != 49),
            "'{}'".into(),
            "'{}'".into(),
        ];
        groups.row(&mut tx, v).await?;
    }
    groups.flush(&mut tx).await?;
    // Subtype rows after every base row exists (foreign keys).
    for i in 0..scale.groups {
        let kind = group_kind(i, &scale);
        let app = (i % APPS, (i - role_count.min(i)) <= APPS);
        match kind {
            "role_group" => {
                let v = vec![roles.q.text(group_id(i))];
                roles.row(&mut tx, v).await?;
            }
            "app_group" => {
                let q = &mut app_groups.q;
                let app_id = if app.0 == 0 {
                    ACCESS_APP.to_string()
                } else {
                    format!("synthapp{:012}", app.0)
                };
                let v = vec![q.text(group_id(i)), q.text(app_id), q.boolean(app.1)];
                app_groups.row(&mut tx, v).await?;
            }
            _ => {}
        }
    }
    roles.flush(&mut tx).await?;
    app_groups.flush(&mut tx).await?;

    // Role mappings: each role grants 4 groups.
    let mut maps = Batch::new(
        "role_group_map",
        "id, role_id, group_id, is_owner, created_at, updated_at, ended_at, created_reason, created_actor_id, ended_actor_id, should_expire",
    );
    let mut map_id = 0i64;
    for r in 1..=role_count {
        for k in 0..4 {
            map_id += 1;
            let target =
                2 * role_count + 1 + (r * 7 + k * 13) % (scale.groups - 2 * role_count - 1);
            let q = &mut maps.q;
            let v = vec![
                q.int(map_id),
                q.text(group_id(r)),
                q.text(group_id(target)),
                q.boolean(k == 3),
                ts(q, ago(300)),
                ts(q, ago(300)),
                "NULL".into(),
                q.text("synthetic"),
                q.text(DEV_USER),
                "NULL".into(),
                "FALSE".into(),
            ];
            maps.row(&mut tx, v).await?;
        }
    }
    maps.flush(&mut tx).await?;

    // Tags and attachments.
    let mut tags = Batch::new(
        "tag",
        "id, created_at, updated_at, deleted_at, name, description, constraints, enabled",
    );
    for k in 0..100 {
        let q = &mut tags.q;
        let v = vec![
            q.text(format!("synthtag{k:012}")),
            ts(q, ago(500)),
            ts(q, ago(50)),
            "NULL".into(),
            q.text(format!("Tag-{k}")),
            q.text("synthetic tag"),
            db.json_param(q, format!("{{\"member_time_limit\":{}}}", 86_400 * (k + 1))),
            q.boolean(k % 10 != 9),
        ];
        tags.row(&mut tx, v).await?;
    }
    tags.flush(&mut tx).await?;
    let mut tag_maps = Batch::new(
        "okta_group_tag_map",
        "id, tag_id, group_id, app_tag_map_id, created_at, updated_at, ended_at",
    );
    for k in 0..5_000i64 {
        let q = &mut tag_maps.q;
        let g = rng.random_range(0..scale.groups);
        let v = vec![
            q.int(k + 1),
            q.text(format!("synthtag{:012}", k % 100)),
            q.text(group_id(g)),
            "NULL".into(),
            ts(q, ago(200)),
            ts(q, ago(200)),
            "NULL".into(),
        ];
        tag_maps.row(&mut tx, v).await?;
    }
    tag_maps.flush(&mut tx).await?;

    // Memberships: the big group, the busy user, then random rows.
    let mut members = Batch::new(
        "okta_user_group_member",
        "id, user_id, group_id, role_group_map_id, is_owner, created_at, updated_at, ended_at, created_reason, created_actor_id, ended_actor_id, should_expire",
    );
    let mut mid = 0i64;
    let mut pairs: Vec<(usize, usize, bool)> = Vec::with_capacity(scale.memberships);
    for u in 0..scale.big_group_members.min(scale.users) {
        pairs.push((u, 0, u < 20));
    }
    for g in 0..scale.busy_user_groups.min(scale.groups) {
        pairs.push((1, g + 1, g % 10 == 0));
    }
    // Make the dev user an Access admin: a member of App-Access-Owners.
    let access_owners =
        (role_count + 1..=2 * role_count).find(|i| i % APPS == 0 && (i - role_count) <= APPS);
    if let Some(g) = access_owners {
        pairs.push((0, g, false));
    }
    while pairs.len() < scale.memberships {
        pairs.push((
            rng.random_range(0..scale.users),
            rng.random_range(0..scale.groups),
            rng.random_bool(0.1),
        ));
    }
    for (u, g, owner) in pairs {
        mid += 1;
        let roll: f64 = rng.random();
        let q = &mut members.q;
        let created = ago(rng.random_range(1..900));
        let (ended, ended_by) = if roll < 0.70 || g == 0 || u <= 1 {
            ("NULL".to_string(), "NULL".to_string())
        } else if roll < 0.85 {
            (
                ts(q, t0 + Duration::days(rng.random_range(1..200))),
                "NULL".to_string(),
            )
        } else {
            (ts(q, ago(rng.random_range(0..100))), q.text(DEV_USER))
        };
        let v = vec![
            q.int(mid),
            q.text(user_id(u)),
            q.text(group_id(g)),
            "NULL".into(),
            q.boolean(owner),
            ts(q, created),
            ts(q, created),
            ended,
            q.text("synthetic grant"),
            q.text(DEV_USER),
            ended_by,
            "FALSE".into(),
        ];
        members.row(&mut tx, v).await?;
    }
    members.flush(&mut tx).await?;

    // Requests: 80 % access, 10 % role, 10 % group.
    let access = scale.requests * 8 / 10;
    let mut ar = Batch::new(
        "access_request",
        "id, created_at, updated_at, resolved_at, status, requester_user_id, requested_group_id, request_ownership, request_reason, request_ending_at, resolver_user_id, resolution_reason, approved_membership_id, approval_ending_at",
    );
    for k in 0..access {
        let status = ["PENDING", "APPROVED", "REJECTED"][k % 3];
        let q = &mut ar.q;
        let created = ago(rng.random_range(0..700));
        let resolved = if status == "PENDING" {
            "NULL".to_string()
        } else {
            ts(q, created + Duration::hours(5))
        };
        let v = vec![
            q.text(format!("ARsynth{k:013}")),
            ts(q, created),
            ts(q, created),
            resolved,
            format!("'{status}'"),
            q.text(user_id(rng.random_range(0..scale.users))),
            q.text(group_id(rng.random_range(0..scale.groups))),
            q.boolean(k % 7 == 0),
            q.text(format!("synthetic reason {k}")),
            "NULL".into(),
            if status == "PENDING" {
                "NULL".into()
            } else {
                q.text(DEV_USER)
            },
            q.text(if status == "PENDING" {
                ""
            } else {
                "synthetic resolution"
            }),
            "NULL".into(),
            "NULL".into(),
        ];
        ar.row(&mut tx, v).await?;
    }
    ar.flush(&mut tx).await?;
    let mut rr = Batch::new(
        "role_request",
        "id, created_at, updated_at, resolved_at, status, requester_user_id, requester_role_id, requested_group_id, request_ownership, request_reason, request_ending_at, resolver_user_id, resolution_reason, approval_ending_at, approved_membership_id",
    );
    for k in 0..scale.requests / 10 {
        let q = &mut rr.q;
        let created = ago(rng.random_range(0..700));
        let v = vec![
            q.text(format!("RRsynth{k:013}")),
            ts(q, created),
            ts(q, created),
            "NULL".into(),
            "'PENDING'".into(),
            q.text(user_id(rng.random_range(0..scale.users))),
            q.text(group_id(1 + k % role_count)),
            q.text(group_id(
                2 * role_count + 1 + k % (scale.groups - 2 * role_count - 1),
            )),
            "FALSE".into(),
            q.text("synthetic"),
            "NULL".into(),
            "NULL".into(),
            "''".into(),
            "NULL".into(),
            "NULL".into(),
        ];
        rr.row(&mut tx, v).await?;
    }
    rr.flush(&mut tx).await?;
    let mut gr = Batch::new(
        "group_request",
        "id, created_at, updated_at, resolved_at, status, requester_user_id, requested_group_name, requested_group_description, requested_group_type, requested_app_id, requested_ownership_ending_at, requested_group_tags, request_reason, resolver_user_id, resolved_group_name, resolved_group_description, resolved_group_type, resolved_app_id, resolved_ownership_ending_at, resolved_group_tags, resolution_reason, approved_group_id",
    );
    for k in 0..scale.requests / 10 {
        let q = &mut gr.q;
        let created = ago(rng.random_range(0..700));
        let name = format!("Requested-{k}");
        let a = db.json_param(q, "[]");
        let b = db.json_param(q, "[]");
        let v = vec![
            q.text(format!("GRsynth{k:013}")),
            ts(q, created),
            ts(q, created),
            "NULL".into(),
            "'PENDING'".into(),
            q.text(user_id(rng.random_range(0..scale.users))),
            q.text(name.clone()),
            q.text(""),
            q.text("okta_group"),
            "NULL".into(),
            "NULL".into(),
            a,
            q.text("synthetic"),
            "NULL".into(),
            q.text(name),
            q.text(""),
            q.text("okta_group"),
            "NULL".into(),
            "NULL".into(),
            b,
            "''".into(),
            "NULL".into(),
        ];
        gr.row(&mut tx, v).await?;
    }
    gr.flush(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
