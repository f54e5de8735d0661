//! The SQL store: [`SqlStore`] implements [`Store`](crate::store::Store) for SQLite and
//! PostgreSQL with one set of queries.
//!
//! Queries go through sqlx's `Any` driver with `$n` placeholders, which both backends
//! accept (sqlx-sqlite binds `$n` by number). Only what SQL cannot say the same way differs
//! per backend: the migrations (`migrations/sqlite`, `migrations/postgres`, same tables and
//! meaning), the per-connection SQLite pragmas, and how a write transaction starts
//! (`BEGIN IMMEDIATE` on SQLite, so writers queue on the lock instead of failing on a
//! stale snapshot). Times are stored as epoch milliseconds, so they round-trip to the
//! millisecond; JSON documents are stored as text.
//!
//! Errors go through one classification (`error::classify`): an unreachable or busy
//! database is [`StoreError::Unavailable`], anything else a query error.
//!
//! This module keeps records; it must not decide, plan or call the cluster, and it must
//! never show a database password (URLs in errors are masked).

mod activity;
mod approvals;
mod assessments;
pub(crate) mod audit;
mod error;
mod history;
mod processing;
mod queries;
mod rows;
mod scratch;
pub(crate) mod url;
mod vectors;

#[cfg(test)]
mod approvals_tests;
#[cfg(test)]
mod history_tests;
#[cfg(test)]
mod processing_tests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use futures::FutureExt;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Transaction};

pub use self::audit::AuditVerification;
pub use self::scratch::{create_scratch_postgres, drop_scratch_postgres};

use self::error::{classify, classify_migration};
use self::url::{Backend, mask_url, sqlite_file_url};
use crate::store::StoreError;

/// SQLite migrations, embedded at build time.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
/// PostgreSQL migrations, embedded at build time.
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a query waits for a connection before the store reports itself unavailable:
/// short, so a dead database turns into a quick 503 rather than a hung request.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long SQLite waits on a locked database before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
/// Connections to SQLite: one writer at a time anyway, a few readers beside it.
const SQLITE_MAX_CONNECTIONS: u32 = 4;
/// Connections to PostgreSQL.
const POSTGRES_MAX_CONNECTIONS: u32 = 10;
/// How long an incident may stay `deciding` before another claim may take it over
/// (its decider died). Longer than any decision takes, LLM round trips included.
const CLAIM_LEASE_MS: i64 = 120_000;

/// The store on SQLite or PostgreSQL; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

impl SqlStore {
    /// Connects to the database at `url` (`sqlite:…` or `postgres://…`) and runs the
    /// backend's migrations. A SQLite file is created only when the URL says so
    /// (`sqlite:///var/lib/medic/medic.db?mode=rwc`); [`SqlStore::sqlite_in`] does.
    ///
    /// Errors: [`StoreError::BadUrl`] for an unusable URL (password masked),
    /// [`StoreError::Unavailable`] when the database cannot be reached within a few
    /// seconds, [`StoreError::Migration`] when the schema cannot be brought up to date.
    pub async fn connect(url: &str) -> Result<SqlStore, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let options = AnyConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
            url: mask_url(url),
            message: e.to_string(),
        })?;
        let pool = pool_options(backend).connect_with(options).await.map_err(|e| match e {
            sqlx::Error::Configuration(message) => StoreError::BadUrl {
                url: mask_url(url),
                message: message.to_string(),
            },
            e => classify(&format!("connecting to {}", mask_url(url)), e),
        })?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.map_err(classify_migration)?;
        Ok(SqlStore { pool, backend })
    }

    /// Opens (creating if needed) the SQLite database `medic.db` in `data_dir`, creating
    /// the directory too, and runs the migrations. The database uses WAL journaling, a
    /// busy timeout and enforced foreign keys.
    pub async fn sqlite_in(data_dir: &Path) -> Result<SqlStore, StoreError> {
        let file = data_dir.join("medic.db");
        std::fs::create_dir_all(data_dir).map_err(|e| StoreError::BadUrl {
            url: file.display().to_string(),
            message: format!("cannot create the data directory {}: {e}", data_dir.display()),
        })?;
        SqlStore::connect(&sqlite_file_url(&file)).await
    }

    /// Closes every connection; later calls fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction.
    async fn begin(&self, what: &str) -> Result<Transaction<'static, Any>, StoreError> {
        let tx = match self.backend {
            // Take the write lock up front: a deferred transaction that reads first and
            // writes later fails with SQLITE_BUSY_SNAPSHOT instead of waiting.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        tx.map_err(|e| classify(what, e))
    }
}

/// Pool settings per backend.
fn pool_options(backend: Backend) -> AnyPoolOptions {
    let options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
    match backend {
        Backend::Postgres => options.max_connections(POSTGRES_MAX_CONNECTIONS),
        Backend::Sqlite => options
            .max_connections(SQLITE_MAX_CONNECTIONS)
            .after_connect(|conn, _meta| {
                async move {
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = NORMAL",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    let busy = format!("PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}");
                    sqlx::query(sqlx::AssertSqlSafe(busy)).execute(&mut *conn).await?;
                    Ok(())
                }
                .boxed()
            }),
    }
}
