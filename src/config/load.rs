//! Reading and validating a config file, reporting every problem with its path.
//!
//! Validation runs in three passes over the parsed YAML: the JSON Schema generated from
//! [`Config`] (every unknown key and every value of the wrong type, all at once), then
//! typed deserialization, then semantic checks the schema cannot express (action names,
//! rule parameters, regexes, addresses).

use std::fmt;
use std::path::Path;

use serde_json::Value;

use super::model::Config;

/// One problem in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the key, e.g. `policy.mode` or `rules[2].action`.
    pub path: String,
    /// What is wrong, quoting the value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has problems.
    #[error("invalid config {origin}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file (or `<string>`).
        origin: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// Loads and validates a config file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.display().to_string(),
        source,
    })?;
    load_str(&text, &path.display().to_string())
}

/// Every problem of a config file (empty when valid); for `medic config check`.
pub fn check_file(path: &Path) -> Result<Vec<Problem>, ConfigError> {
    match load(path) {
        Ok(_) => Ok(Vec::new()),
        Err(ConfigError::Invalid { problems, .. }) => Ok(problems),
        Err(e) => Err(e),
    }
}

/// Validates config text; `origin` names it in errors.
pub fn load_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        origin: origin.to_string(),
        problems,
    };
    let value: Value = if text.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| {
            invalid(vec![Problem {
                path: e
                    .location()
                    .map(|l| format!("line {} column {}", l.line(), l.column()))
                    .unwrap_or_else(|| "$".into()),
                message: format!("not valid YAML: {e}"),
            }])
        })?
    };
    let value = if value.is_null() {
        Value::Object(Default::default())
    } else {
        value
    };

    let problems = schema_problems(&value);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let config: Config = serde_path_to_error::deserialize(value).map_err(|e| {
        invalid(vec![Problem {
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        }])
    })?;
    let problems = semantic_problems(&config);
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(config)
}

/// Problems found by the JSON Schema of [`Config`].
fn schema_problems(value: &Value) -> Vec<Problem> {
    let schema = match serde_json::to_value(schemars::schema_for!(Config)) {
        Ok(s) => s,
        Err(e) => return vec![internal(e.to_string())],
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => return vec![internal(e.to_string())],
    };
    let mut out: Vec<Problem> = validator
        .iter_errors(value)
        .map(|e| {
            let path = pointer_to_path(e.instance_path().as_str());
            let message = e.to_string();
            let message = match unknown_key(&message) {
                Some(key) => format!("unknown key {key}"),
                None => message,
            };
            Problem { path, message }
        })
        .collect();
    out.dedup();
    out
}

fn internal(message: String) -> Problem {
    Problem {
        path: "$".into(),
        message: format!("internal error building the config schema: {message}"),
    }
}

/// Turns jsonschema's "Additional properties are not allowed ('x' was unexpected)" into `'x'`.
fn unknown_key(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Additional properties are not allowed (")?;
    let keys = rest.strip_suffix(')')?;
    Some(keys.replace(" was unexpected", "").replace(" were unexpected", ""))
}

/// `/rules/2/action` → `rules[2].action`; `` → `$`.
pub(crate) fn pointer_to_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if seg.chars().all(|c| c.is_ascii_digit()) && !seg.is_empty() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() { "$".into() } else { out }
}

/// Problems only the meaning of the values reveals.
fn semantic_problems(config: &Config) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut problem = |path: String, message: String| out.push(Problem { path, message });
    if config.listen.parse::<std::net::SocketAddr>().is_err() {
        problem(
            "listen".into(),
            format!("{:?} is not an address like 127.0.0.1:8080", config.listen),
        );
    }
    if let Some(url) = &config.database_url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:"))
    {
        problem(
            "database_url".into(),
            "must start with postgres://, postgresql:// or sqlite: (value not shown: it may hold a password)".into(),
        );
    }
    if config.workers == 0 {
        problem("workers".into(), "must be at least 1, found 0".into());
    }
    if config.webhook.max_body_bytes < 1024 {
        problem(
            "webhook.max_body_bytes".into(),
            format!("must be at least 1024, found {}", config.webhook.max_body_bytes),
        );
    }
    for (field, value) in [
        ("context.max_events", config.context.max_events),
        ("context.max_pods", config.context.max_pods),
    ] {
        if value == 0 {
            problem(field.into(), "must be at least 1, found 0".into());
        }
    }
    if config.bounds.max_replicas < 1 {
        problem(
            "bounds.max_replicas".into(),
            format!("must be at least 1, found {}", config.bounds.max_replicas),
        );
    }
    if !(config.bounds.max_resource_factor > 1.0 && config.bounds.max_resource_factor.is_finite()) {
        problem(
            "bounds.max_resource_factor".into(),
            format!("must be above 1, found {}", config.bounds.max_resource_factor),
        );
    }
    out.extend(config.policy.problems());
    out.extend(config.memory.problems());
    out.extend(config.approvals.problems(&config.actions));
    for (path, message) in crate::decide::rules::validate::validate_rules(&config.rules, "rules") {
        out.push(Problem { path, message });
    }
    for (path, message) in super::security::problems(&config.auth, &config.http, &config.webhook.rate_limit) {
        out.push(Problem { path, message });
    }
    for (path, message) in crate::decide::llm::config::validate(&config.llm) {
        out.push(Problem { path, message });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        match load_str(text, "test.yaml") {
            Ok(_) => vec![],
            Err(ConfigError::Invalid { problems, .. }) => problems,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn empty_file_is_the_defaults() {
        assert_eq!(load_str("", "x").unwrap(), Config::default());
        assert_eq!(load_str("# nothing\n", "x").unwrap(), Config::default());
    }

    #[test]
    fn every_problem_is_listed_with_its_path() {
        let p = problems(
            "listen: nowhere\npolicy:\n  mdoe: execute\n  protected_namespaces: 3\nworkers: many\ncluster: {kind: sim, fixtrue: x}\n",
        );
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"policy"), "{p:?}");
        assert!(p.iter().any(|p| p.message.contains("'mdoe'")), "{p:?}");
        assert!(paths.contains(&"policy.protected_namespaces"), "{p:?}");
        assert!(paths.contains(&"workers"), "{p:?}");
        assert!(paths.iter().any(|p| p.starts_with("cluster")), "{p:?}");
    }

    #[test]
    fn semantic_problems_name_field_and_value() {
        let p = problems("listen: nowhere\npolicy:\n  denied_actions: [reboot_everything]\n");
        assert!(
            p.contains(&Problem {
                path: "listen".into(),
                message: "\"nowhere\" is not an address like 127.0.0.1:8080".into()
            }),
            "{p:?}"
        );
        assert!(
            p.iter()
                .any(|p| p.path == "policy.denied_actions[0]" && p.message.contains("reboot_everything")),
            "{p:?}"
        );
    }

    #[test]
    fn pointer_paths_read_like_yaml() {
        assert_eq!(pointer_to_path("/rules/2/action"), "rules[2].action");
        assert_eq!(pointer_to_path(""), "$");
    }

    #[test]
    fn kube_cluster_parses() {
        let c = load_str("cluster: {kind: kube}\n", "x").unwrap();
        assert_eq!(c.cluster, super::super::ClusterConfig::Kube { context: None });
    }
}
