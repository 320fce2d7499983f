//! `DATABASE_URI` in the forms Access accepts (SQLAlchemy URLs), mapped to sqlx.

use std::path::PathBuf;

use super::DbError;

/// Which engine a URL names, with the URL sqlx understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl DatabaseUrl {
    /// Parse `sqlite:///relative.db`, `sqlite:////abs/path.db`, `sqlite:/path`,
    /// `postgresql://…`, `postgres://…`, `postgresql+pg8000://…`, `postgresql+psycopg2://…`.
    pub fn parse(uri: &str) -> Result<Self, DbError> {
        let uri = uri.trim();
        let (scheme, rest) = uri
            .split_once(':')
            // Not echoed: a malformed URL may still hold a password.
            .ok_or_else(|| {
                DbError::BadUrl("it has no scheme (use sqlite:/// or postgresql://)".into())
            })?;
        let engine = scheme
            .split('+')
            .next()
            .unwrap_or(scheme)
            .to_ascii_lowercase();
        match engine.as_str() {
            "sqlite" => {
                // SQLAlchemy: sqlite:///relative/path and sqlite:////absolute/path.
                let path = if let Some(p) = rest.strip_prefix("///") {
                    p.to_string()
                } else if let Some(p) = rest.strip_prefix("//") {
                    p.to_string()
                } else {
                    rest.to_string()
                };
                let path = path.split('?').next().unwrap_or_default().to_string();
                if path.is_empty() || path == ":memory:" {
                    return Err(DbError::BadUrl(
                        "an in-memory SQLite database cannot be shared by the pool; give a file path"
                            .into(),
                    ));
                }
                Ok(DatabaseUrl::Sqlite {
                    path: PathBuf::from(path),
                })
            }
            "postgresql" | "postgres" => Ok(DatabaseUrl::Postgres {
                url: format!("postgres:{rest}"),
            }),
            other => Err(DbError::BadUrl(format!(
                "unsupported database `{other}` in DATABASE_URI (use sqlite:/// or postgresql://)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_access_url_forms() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///access.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "access.db".into()
            }
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:////var/lib/access.db").unwrap(),
            DatabaseUrl::Sqlite {
                path: "/var/lib/access.db".into()
            }
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql+pg8000://u:p@db:5432/access").unwrap(),
            DatabaseUrl::Postgres {
                url: "postgres://u:p@db:5432/access".into()
            }
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://postgres@127.0.0.1/x").unwrap(),
            DatabaseUrl::Postgres {
                url: "postgres://postgres@127.0.0.1/x".into()
            }
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://:memory:").is_err());
        assert!(DatabaseUrl::parse("nonsense").is_err());
    }
}
