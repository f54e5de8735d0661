//! Helpers shared by the tests that run the real `medic` binary on PostgreSQL
//! (`crash_pg`, `replicas_pg`, `pg_outage`). Each test file uses a part of them.
#![allow(dead_code)]

pub mod medic_proc;
