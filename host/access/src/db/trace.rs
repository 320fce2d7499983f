//! The trace span of one SQL statement (OpenTelemetry's database conventions:
//! the operation as the name, the statement text with its placeholders, never
//! the values bound to them). Disabled, and never built, when traces are off.

use std::future::Future;

use tracing::Instrument;
use tracing::field::Empty;

use super::DbError;

/// `postgresql` or `sqlite`, as `db.system.name` spells them.
pub(super) type System = &'static str;

fn operation(sql: &str) -> &str {
    let word = sql
        .trim_start()
        .split_ascii_whitespace()
        .next()
        .unwrap_or("");
    if word.len() <= 16 { word } else { "SQL" }
}

/// Run `statement` in the span of `sql` on `system`, recording a failure.
pub(super) async fn traced<T>(
    system: System,
    sql: &str,
    statement: impl Future<Output = Result<T, DbError>>,
) -> Result<T, DbError> {
    let span = tracing::info_span!(
        target: mcp_host::telemetry::TARGET,
        "SQL statement",
        otel.name = operation(sql),
        otel.kind = "client",
        otel.status_code = Empty,
        db.system.name = system,
        db.operation.name = operation(sql),
        db.query.text = sql,
        error.type = Empty,
    );
    if span.is_disabled() {
        return statement.await;
    }
    let result = statement.instrument(span.clone()).await;
    if let Err(e) = &result {
        span.record("error.type", e.kind());
        span.record("otel.status_code", "ERROR");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::operation;

    #[test]
    fn the_span_is_named_by_the_statements_first_word() {
        assert_eq!(operation("  SELECT 1"), "SELECT");
        assert_eq!(operation("INSERT INTO x VALUES ($1)"), "INSERT");
        assert_eq!(operation(""), "");
    }
}
