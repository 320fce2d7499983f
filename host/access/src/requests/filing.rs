//! SQL shared by the three request tables: find and reject the pending
//! requests a new one supersedes, insert a PENDING request, read it back.

use chrono::NaiveDateTime;

use super::lookups::IdRow;
use crate::db::{AnyRow, Arg, DbError, Query, Tx};

/// The supersede step, inside the transaction that files the new request:
/// reject the requester's pending requests of `table` matching `conditions`
/// with `reason`, and say which. Concurrent filings for the same requester and
/// target queue here (a transaction-scoped lock on PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already admits one writer), and the pending ones are read
/// after the lock, so two filings never leave two PENDING requests.
pub(super) async fn supersede_pending(
    tx: &mut Tx,
    table: &str,
    conditions: &[(&str, Arg)],
    resolver: &str,
    reason: &str,
    at: NaiveDateTime,
) -> Result<Vec<String>, DbError> {
    let mut key = table.to_string();
    for (col, v) in conditions {
        key.push_str(&format!("|{col}={v:?}"));
    }
    tx.lock(&key).await?;
    let mut q = Query::new(format!(
        "SELECT rq.id AS id FROM {table} rq WHERE rq.status = 'PENDING' AND rq.resolved_at IS NULL"
    ));
    for (col, v) in conditions {
        let p = q.arg(v.clone());
        q.push(&format!(" AND rq.{col} = {p}"));
    }
    q.push(" ORDER BY rq.created_at");
    let ids: Vec<String> = tx
        .fetch_all::<IdRow>(&q)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        return Ok(ids);
    }
    let mut q = Query::new(format!("UPDATE {table} SET status = 'REJECTED', "));
    let now = q.timestamp(at);
    let who = q.text(resolver);
    let why = q.text(reason);
    let list = q.text_list(&ids);
    q.push(&format!(
        "resolved_at = {now}, updated_at = {now}, resolver_user_id = {who}, resolution_reason = {why} \
         WHERE id IN {list} AND status = 'PENDING' AND resolved_at IS NULL"
    ));
    tx.execute(&q).await?;
    Ok(ids)
}

/// Make `q` the `INSERT` of a new PENDING request into `table`: the columns
/// every request table shares, then `specific` (column and its placeholder or
/// SQL literal, bound on `q` by the caller).
pub(super) fn pending_request_insert(
    q: &mut Query,
    table: &str,
    id: &str,
    at: NaiveDateTime,
    requester_id: &str,
    specific: Vec<(&str, String)>,
) {
    let shared = vec![
        ("id", q.text(id)),
        ("created_at", q.timestamp(at)),
        ("updated_at", q.timestamp(at)),
        ("resolved_at", "NULL".into()),
        ("status", "'PENDING'".into()),
        ("requester_user_id", q.text(requester_id)),
        ("resolver_user_id", "NULL".into()),
        ("resolution_reason", "''".into()),
    ];
    let (columns, values): (Vec<&str>, Vec<String>) = shared.into_iter().chain(specific).unzip();
    q.sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        values.join(", ")
    );
}

/// The request just inserted, re-read inside the transaction.
pub(super) async fn read_back<R: AnyRow>(
    tx: &mut Tx,
    select: &str,
    id: &str,
) -> Result<R, DbError> {
    let mut q = Query::new(select);
    let p = q.text(id);
    q.push(&format!(" WHERE rq.id = {p}"));
    tx.fetch_optional(&q)
        .await?
        .ok_or_else(|| DbError::Query(format!("the new request {id} was not found")))
}
