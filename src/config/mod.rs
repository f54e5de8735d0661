//! Configuration: the YAML file, its defaults, and its validation.
//!
//! [`model::Config`] is the typed file (every key documented, unknown keys refused).
//! [`load::load`] reads a file and validates it into a [`Config`], reporting every
//! problem at once with its path ([`load::Problem`]); `medic config check` prints them.
//! Defaults make a config file optional: no file means SQLite under `./.medic`, the
//! bundled demo cluster, the built-in rules, dry-run.
//!
//! This module builds no clients and opens no connections.

pub mod load;
pub mod model;
pub mod security;

pub use load::{ConfigError, Problem, check_file, load, load_str};
pub use model::{ClusterConfig, Config, WebhookConfig};
