//! The SQL store. (Being written by the store helper.)
/// SQLite or PostgreSQL.
pub struct SqlStore;
