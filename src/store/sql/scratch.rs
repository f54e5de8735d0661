//! Scratch PostgreSQL databases, for tests and `medic bench`: create a fresh database
//! with a random name on a server, hand back its URL, drop it afterwards.
//!
//! Only ever touches databases it names itself (`medic_scratch_<uuid>`); it must not be
//! used on the production database.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use super::error::classify;
use super::url::mask_url;
use crate::store::StoreError;

/// The prefix of every scratch database's name.
const PREFIX: &str = "medic_scratch_";

/// Creates a fresh database on the PostgreSQL server at `server` (`postgres://user@host:port/`;
/// the `postgres` maintenance database is used unless the URL names another), returning
/// the new database's URL and its name.
pub async fn create_scratch_postgres(server: &str) -> Result<(String, String), StoreError> {
    let options = server_options(server)?;
    let name = format!("{PREFIX}{}", uuid::Uuid::new_v4().simple());
    admin(server, &options, &format!("CREATE DATABASE \"{name}\"")).await?;
    Ok((options.database(&name).to_url_lossy().to_string(), name))
}

/// Drops (forcibly, closing its connections) a database made by
/// [`create_scratch_postgres`] on the server at `server`. Refuses any other name.
pub async fn drop_scratch_postgres(server: &str, name: &str) -> Result<(), StoreError> {
    let valid = name
        .strip_prefix(PREFIX)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_hexdigit()));
    if !valid {
        return Err(StoreError::Query(format!(
            "refusing to drop {name:?}: not a scratch database ({PREFIX}<hex>)"
        )));
    }
    let options = server_options(server)?;
    admin(
        server,
        &options,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await
}

/// The server's connection options, on the maintenance database unless one is named.
fn server_options(server: &str) -> Result<PgConnectOptions, StoreError> {
    let named = server
        .split_once("://")
        .map(|(_, rest)| rest.split(['?', '#']).next().unwrap_or_default())
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, db)| !db.is_empty());
    let options = PgConnectOptions::from_str(server).map_err(|e| StoreError::BadUrl {
        url: mask_url(server),
        message: e.to_string(),
    })?;
    Ok(if named { options } else { options.database("postgres") })
}

/// Runs one administrative statement on its own connection.
async fn admin(server: &str, options: &PgConnectOptions, sql: &str) -> Result<(), StoreError> {
    let what = format!("{sql} on {}", mask_url(server));
    let mut conn = PgConnection::connect_with(options)
        .await
        .map_err(|e| classify(&what, e))?;
    let result = sqlx::raw_sql(AssertSqlSafe(sql.to_string())).execute(&mut conn).await;
    conn.close().await.ok();
    result.map(drop).map_err(|e| classify(&what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_to_drop_other_databases() {
        for name in [
            "postgres",
            "medic",
            "medic_scratch_",
            "medic_scratch_x\"; DROP DATABASE medic; --",
        ] {
            match drop_scratch_postgres("postgres://postgres@127.0.0.1:1/", name).await {
                Err(StoreError::Query(message)) => assert!(message.contains("refusing"), "{message}"),
                other => panic!("{name}: expected a refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn uses_the_maintenance_database_unless_one_is_named() {
        let default = server_options("postgres://postgres@127.0.0.1:5432/").unwrap();
        assert_eq!(default.get_database(), Some("postgres"));
        let bare = server_options("postgres://postgres@127.0.0.1:5432").unwrap();
        assert_eq!(bare.get_database(), Some("postgres"));
        let named = server_options("postgres://postgres@127.0.0.1:5432/admin?sslmode=disable").unwrap();
        assert_eq!(named.get_database(), Some("admin"));
    }
}
