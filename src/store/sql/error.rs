//! Turning sqlx errors into [`StoreError`]s.
//!
//! [`classify`] is the one place that decides whether a failure means "the database is
//! unreachable or busy, try again later" ([`StoreError::Unavailable`], answered with 503
//! so senders retry) or "this query failed" ([`StoreError::Query`]). It must not log or
//! retry: callers decide what to do.

use sqlx::error::DatabaseError;
use sqlx::migrate::MigrateError;
use sqlx::sqlite::SqliteError;

use crate::store::StoreError;

/// Maps a sqlx error to a store error, `what` saying what was being done.
pub(crate) fn classify(what: &str, error: sqlx::Error) -> StoreError {
    if is_unavailable(&error) {
        StoreError::Unavailable(format!("{what}: {error}"))
    } else {
        StoreError::Query(format!("{what}: {error}"))
    }
}

/// Maps a migration error: unreachable database → `Unavailable`, anything else →
/// `Migration`.
pub(crate) fn classify_migration(error: MigrateError) -> StoreError {
    match &error {
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) if is_unavailable(e) => {
            StoreError::Unavailable(format!("running migrations: {error}"))
        }
        _ => StoreError::Migration(error.to_string()),
    }
}

/// Whether an error means the database could not be reached or is momentarily unable to
/// serve (the same request may succeed later).
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => unavailable_database_error(db.as_ref()),
        _ => false,
    }
}

/// Whether an error reported by the database means "unavailable".
fn unavailable_database_error(error: &dyn DatabaseError) -> bool {
    let Some(code) = error.code() else {
        return false;
    };
    if error.try_downcast_ref::<SqliteError>().is_some() {
        sqlite_unavailable(&code)
    } else {
        sqlstate_unavailable(&code)
    }
}

/// SQLite extended result codes (decimal): SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR and
/// SQLITE_CANTOPEN, whatever the extension.
fn sqlite_unavailable(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 10 | 14))
}

/// PostgreSQL SQLSTATEs: class 08 (connection exception), 53300 (too many connections),
/// 57P01..57P03 (the server is shutting down, crashed or starting up).
fn sqlstate_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "53300" | "57P01" | "57P02" | "57P03")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_unavailable() {
        assert!(matches!(
            classify("x", sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            classify("x", sqlx::Error::PoolClosed),
            StoreError::Unavailable(_)
        ));
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(matches!(
            classify("x", sqlx::Error::Io(refused)),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn other_failures_are_query_errors() {
        match classify("reading incident 7", sqlx::Error::RowNotFound) {
            StoreError::Query(message) => assert!(message.starts_with("reading incident 7: "), "{message}"),
            other => panic!("expected Query, got {other:?}"),
        }
        assert!(matches!(
            classify("x", sqlx::Error::Protocol("bad".into())),
            StoreError::Query(_)
        ));
    }

    #[test]
    fn sqlite_codes() {
        for code in ["5", "517", "6", "262", "10", "3850", "14"] {
            assert!(sqlite_unavailable(code), "{code}");
        }
        for code in ["19", "2067", "1", "11", "787"] {
            assert!(!sqlite_unavailable(code), "{code}");
        }
    }

    #[test]
    fn postgres_codes() {
        for code in ["08006", "08001", "08P01", "53300", "57P01", "57P03"] {
            assert!(sqlstate_unavailable(code), "{code}");
        }
        for code in ["23505", "42P01", "22P02", "40001", "3D000", "28P01"] {
            assert!(!sqlstate_unavailable(code), "{code}");
        }
    }
}
