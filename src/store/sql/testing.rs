//! Test databases for tests outside the store's own contract: a [`TestDb`] on SQLite in a
//! temporary directory or on a scratch PostgreSQL database (created through
//! `MEDIC_TEST_DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/`, dropped
//! afterwards, best effort), which can be opened a second time to simulate a restart.
//!
//! [`on_both_backends!`] instantiates an `async fn(&TestDb)` once
//! per backend. Test support only: it must not touch a database it did not create.

use std::sync::Arc;

use tempfile::TempDir;

use super::url::sqlite_file_url;
use super::{SqlStore, create_scratch_postgres, drop_scratch_postgres};

/// Which database a [`TestDb`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// SQLite in a temporary directory.
    Sqlite,
    /// A scratch PostgreSQL database.
    Postgres,
}

/// A store on a database of its own, removed when dropped.
pub(crate) struct TestDb {
    /// The store.
    pub store: Arc<SqlStore>,
    /// The URL it was opened with.
    pub url: String,
    _dir: Option<TempDir>,
    _pg: Option<ScratchPostgres>,
}

impl TestDb {
    /// A fresh database of the given backend.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let store = SqlStore::sqlite_in(dir.path()).await.expect("open SQLite store");
                TestDb {
                    store: Arc::new(store),
                    url: sqlite_file_url(&dir.path().join("medic.db")),
                    _dir: Some(dir),
                    _pg: None,
                }
            }
            Backend::Postgres => {
                let pg = ScratchPostgres::create().await;
                let store = SqlStore::connect(&pg.url).await.expect("open PostgreSQL store");
                TestDb {
                    store: Arc::new(store),
                    url: pg.url.clone(),
                    _dir: None,
                    _pg: Some(pg),
                }
            }
        }
    }

    /// A second store on the same database, as after a restart (migrations run again).
    pub async fn reopen(&self) -> Arc<SqlStore> {
        Arc::new(SqlStore::connect(&self.url).await.expect("reopen the store"))
    }
}

/// A PostgreSQL database created for one test.
struct ScratchPostgres {
    server: String,
    name: String,
    url: String,
}

impl ScratchPostgres {
    async fn create() -> ScratchPostgres {
        let server = std::env::var("MEDIC_TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".to_string());
        let (url, name) = create_scratch_postgres(&server)
            .await
            .expect("create the test database");
        ScratchPostgres { server, name, url }
    }
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Best effort, on a thread of its own: drop may run inside the test's runtime.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(drop_scratch_postgres(&server, &name)).ok()
        });
        let _ = dropper.join();
    }
}

/// Instantiates each `async fn(&TestDb)` for both backends, as `sqlite::NAME` and
/// `postgres::NAME` in the invoking module.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::store::sql::testing::TestDb::new(
                        $crate::store::sql::testing::Backend::Sqlite,
                    )
                    .await;
                    super::$name(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = $crate::store::sql::testing::TestDb::new(
                        $crate::store::sql::testing::Backend::Postgres,
                    )
                    .await;
                    super::$name(&db).await;
                }
            )*
        }
    };
}

pub(crate) use on_both_backends;
