//! Web (being written).
