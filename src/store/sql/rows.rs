//! Reading stored rows back into records, and writing values into columns.
//!
//! Every read names the record it belongs to, so a damaged row is reported as
//! [`StoreError::Corrupt`] with its id instead of a bare decode error. This module must
//! not run queries.

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::store::{ProcessingState, StoreError};

/// A timestamp as stored: epoch milliseconds.
pub(crate) fn millis(ts: Timestamp) -> i64 {
    ts.as_millisecond()
}

/// `starts_at` as stored in the identity key: RFC 3339 in UTC with the shortest exact
/// fraction, so one instant always has one spelling.
pub(crate) fn canonical(ts: Timestamp) -> String {
    ts.to_string()
}

/// A value as JSON text for a `*_json` column.
pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Query(format!("cannot serialize {what}: {e}")))
}

/// Reads the columns of one row, reporting problems against the record `id`.
pub(crate) struct RowReader<'r> {
    row: &'r AnyRow,
    id: &'r str,
}

impl<'r> RowReader<'r> {
    /// A reader for `row`, which belongs to record `id`.
    pub(crate) fn new(row: &'r AnyRow, id: &'r str) -> Self {
        RowReader { row, id }
    }

    fn corrupt(&self, column: &str, message: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            id: self.id.to_string(),
            message: format!("column {column}: {message}"),
        }
    }

    /// A nullable text column.
    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        self.row.try_get(column).map_err(|e| self.corrupt(column, e))
    }

    /// A text column that must not be null.
    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| self.corrupt(column, "unexpected NULL"))
    }

    /// A nullable integer column.
    pub(crate) fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        self.row.try_get(column).map_err(|e| self.corrupt(column, e))
    }

    /// An integer column that must not be null.
    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_int(column)?
            .ok_or_else(|| self.corrupt(column, "unexpected NULL"))
    }

    /// A nullable epoch-milliseconds column.
    pub(crate) fn opt_timestamp(&self, column: &str) -> Result<Option<Timestamp>, StoreError> {
        self.opt_int(column)?
            .map(|ms| Timestamp::from_millisecond(ms).map_err(|e| self.corrupt(column, e)))
            .transpose()
    }

    /// An epoch-milliseconds column that must not be null.
    pub(crate) fn timestamp(&self, column: &str) -> Result<Timestamp, StoreError> {
        self.opt_timestamp(column)?
            .ok_or_else(|| self.corrupt(column, "unexpected NULL"))
    }

    /// A nullable JSON document column.
    pub(crate) fn opt_json<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>, StoreError> {
        self.opt_text(column)?
            .map(|text| serde_json::from_str(&text).map_err(|e| self.corrupt(column, e)))
            .transpose()
    }

    /// A JSON document column that must not be null.
    pub(crate) fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        self.opt_json(column)?
            .ok_or_else(|| self.corrupt(column, "unexpected NULL"))
    }

    /// A column holding the serde name of a unit enum variant (`planned`, `allow`, ...).
    pub(crate) fn named<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        let text = self.text(column)?;
        serde_json::from_value(serde_json::Value::String(text.clone()))
            .map_err(|_| self.corrupt(column, format!("unknown value {text:?}")))
    }

    /// A processing-state column.
    pub(crate) fn state(&self, column: &str) -> Result<ProcessingState, StoreError> {
        let text = self.text(column)?;
        ProcessingState::parse(&text).ok_or_else(|| self.corrupt(column, format!("unknown state {text:?}")))
    }
}
