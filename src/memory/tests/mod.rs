//! Retrieval end to end on a SQLite store: a small labelled set of incidents
//! ([`fixtures`]) is stored, decided and indexed, and queries from each family must find
//! their own family first; the pipeline's hooks put similar incidents into the context
//! and index decided incidents.

mod fixtures;
mod labelled;
mod pipeline;
