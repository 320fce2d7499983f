//! The Access capability as the host sees it: its interfaces and scopes, the
//! per-call state its imports use (the call's database handle), its user
//! directory, readiness (the database answers) and metrics (the pool).

use std::any::Any;
use std::sync::Arc;

use mcp_host::auth::directory::UserDirectory;
use mcp_host::capability::{BoxFuture, Capability, Check, Interface};
use mcp_host::sandbox::state::CallContext;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::config::AccessConfig;
use crate::db::{Db, DbError, Pool};
use crate::imports::AccessCall;
use crate::users::AccessUsers;

/// The Access capability: one database, shared by every call.
pub struct Access {
    db: Db,
    pool_gauge: Family<PoolState, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: &'static str,
}

impl Access {
    /// Connect to `DATABASE_URI`, or create/open the embedded demo database.
    /// Connect, and warn once when the database lacks the indexes the
    /// queries rely on (never creating them: `access-mcp db indexes --apply`).
    pub async fn connect(cfg: &AccessConfig) -> Result<Access, DbError> {
        let db = Db::connect(&cfg.database, &cfg.directory).await?;
        match crate::db::indexes::missing(&db).await {
            Ok(missing) if !missing.is_empty() => {
                tracing::warn!("{}", crate::db::indexes::warning(&missing));
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot check the database's indexes: {e}"),
        }
        Ok(Access::on(db))
    }

    /// The capability over a database already open.
    pub fn on(db: Db) -> Access {
        Access {
            db,
            pool_gauge: Family::default(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

impl Capability for Access {
    fn name(&self) -> &'static str {
        "access"
    }

    fn interfaces(&self) -> &'static [Interface] {
        crate::imports::INTERFACES
    }

    fn scopes(&self) -> &'static [&'static str] {
        crate::scopes::ALL
    }

    fn call_state(&self, call: &CallContext) -> Option<Box<dyn Any + Send>> {
        let db = (!call.loading).then(|| self.db.for_one_call());
        Some(Box::new(AccessCall { db }))
    }

    fn user_directory(&self) -> Option<Arc<dyn UserDirectory>> {
        Some(Arc::new(AccessUsers::new(self.db.clone())))
    }

    fn ready(&self) -> BoxFuture<'_, Vec<Check>> {
        Box::pin(async {
            let ping = self.db.ping().await;
            if let Err(e) = &ping {
                tracing::warn!(error = %e, "readiness: the database does not answer");
            }
            vec![Check {
                name: "database",
                ok: ping.is_ok(),
            }]
        })
    }

    fn register_metrics(&self, registry: &mut Registry) {
        registry.register(
            "db_pool_connections",
            "Database pool connections by state (in_use, idle)",
            self.pool_gauge.clone(),
        );
    }

    fn refresh_metrics(&self) {
        let (size, idle) = match &self.db.pool {
            Pool::Sqlite(p) => (i64::from(p.size()), p.num_idle() as i64),
            Pool::Postgres(p) => (i64::from(p.size()), p.num_idle() as i64),
        };
        self.pool_gauge
            .get_or_create(&PoolState { state: "in_use" })
            .set((size - idle).max(0));
        self.pool_gauge
            .get_or_create(&PoolState { state: "idle" })
            .set(idle);
    }

    fn shared_by_replicas(&self) -> bool {
        self.db.engine_name() == "postgresql"
    }

    fn describe(&self) -> Vec<(&'static str, String)> {
        vec![("database", self.db.engine_name().to_string())]
    }
}

/// The Access capability's contract only (interfaces and scopes), with no
/// database: what `plugins audit` and `plugins list` load plugins against.
/// Every import it links refuses (its per-call state holds no database).
pub struct AccessContract;

impl Capability for AccessContract {
    fn name(&self) -> &'static str {
        "access"
    }

    fn interfaces(&self) -> &'static [Interface] {
        crate::imports::INTERFACES
    }

    fn scopes(&self) -> &'static [&'static str] {
        crate::scopes::ALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DatabaseConfig, DirectoryConfig};
    use mcp_host::caller::{Caller, RequestMeta};
    use mcp_host::confirm::WriteGate;

    fn state(access: &Access, ctx: &CallContext) -> AccessCall {
        let boxed = access.call_state(ctx).expect("a state for every call");
        match boxed.downcast::<AccessCall>() {
            Ok(s) => *s,
            Err(_) => panic!("not an AccessCall"),
        }
    }

    #[tokio::test]
    async fn a_loading_plugin_gets_no_database_and_a_call_gets_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = AccessConfig {
            database: DatabaseConfig {
                database_uri: None,
                demo_db: dir.path().join("demo.db"),
                max_connections: 2,
                sqlite_inline_reads: true,
            },
            directory: DirectoryConfig::default(),
        };
        let access = Access::connect(&cfg).await.expect("demo database");
        let loading = CallContext::loading(std::sync::Arc::from("p"));
        assert!(state(&access, &loading).db.is_none());
        let call = CallContext {
            loading: false,
            caller: std::sync::Arc::new(Caller::system()),
            request: std::sync::Arc::new(RequestMeta::internal("r")),
            write_gate: WriteGate::Open,
            ..loading
        };
        assert!(state(&access, &call).db.is_some());
        assert_eq!(access.scopes(), ["create_requests", "read_all"]);
    }
}
