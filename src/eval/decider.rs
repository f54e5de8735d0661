//! Which deciders an evaluation compares: `rules` (your rules, then the built-in pack),
//! `model:NAME` (a model of `llm.models`, alone: a failure escalates rather than fall back
//! to the rules, so the model is scored on its own), `replay:FILE` (answers recorded with
//! `--record`, so CI runs the LLM path without a network).
//!
//! A decider is built afresh for every scenario run: the model's investigation tools read
//! that run's simulated cluster, and no decision is shared between runs.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use crate::cluster::Cluster;
use crate::config::Config;
use crate::decide::llm::build::{self, DeciderParts};
use crate::decide::llm::replay::{Recorded, RecordingProvider, ReplayProvider};
use crate::decide::llm::{LlmConfig, LlmProvider, ModelConfig};
use crate::decide::rules::RulesDecider;
use crate::decide::{Chain, Decider};
use crate::policy::PolicyConfig;

/// A decider to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeciderSpec {
    /// The rules decider: the config's rules, then the built-in pack, then `escalate`.
    Rules,
    /// A named model of `llm.models`.
    Model(String),
    /// Recorded answers of a model, from a JSON-lines file.
    Replay(PathBuf),
}

impl FromStr for DeciderSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "rules" => Ok(DeciderSpec::Rules),
            Some(("model", name)) if !name.is_empty() => Ok(DeciderSpec::Model(name.to_string())),
            Some(("replay", file)) if !file.is_empty() => Ok(DeciderSpec::Replay(PathBuf::from(file))),
            _ => Err(format!(
                "unknown decider {s:?}: expected `rules`, `model:NAME` or `replay:FILE`"
            )),
        }
    }
}

impl fmt::Display for DeciderSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeciderSpec::Rules => f.write_str("rules"),
            DeciderSpec::Model(name) => write!(f, "model:{name}"),
            DeciderSpec::Replay(file) => write!(f, "replay:{}", file.display()),
        }
    }
}

/// Why a decider cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum DeciderError {
    /// The config's rules are invalid.
    #[error("invalid rules:\n{0}")]
    Rules(String),
    /// The model cannot be built (unknown name, missing key, prompts).
    #[error("decider {spec}: {source}")]
    Model {
        /// The decider.
        spec: String,
        /// Why.
        #[source]
        source: build::BuildError,
    },
    /// The recording cannot be read or used.
    #[error("decider {spec}: {message}")]
    Replay {
        /// The decider.
        spec: String,
        /// Why.
        message: String,
    },
}

/// Where a factory's deciders come from.
enum Source {
    /// The config's rules and the built-in pack.
    Rules,
    /// A model of `llm.models` answering through a shared provider.
    Model {
        /// Its config name.
        key: String,
        /// The `llm:` section holding it.
        llm: LlmConfig,
        /// The provider shared by the runs (a live client, its recorder, or a replay).
        provider: Arc<dyn LlmProvider>,
    },
    /// A decider given as it is (tests, other harnesses).
    Fixed(Arc<dyn Decider>),
}

/// Builds one decider per scenario run.
pub struct DeciderFactory {
    label: String,
    config: Config,
    source: Source,
}

impl DeciderFactory {
    /// Prepares a decider: checks the rules or the model, opens the recording.
    /// `record`: append every model answer to this file (`model:NAME` only).
    pub fn new(spec: &DeciderSpec, config: &Config, record: Option<&Path>) -> Result<Self, DeciderError> {
        match spec {
            DeciderSpec::Rules => {
                let factory = DeciderFactory {
                    label: spec.to_string(),
                    config: config.clone(),
                    source: Source::Rules,
                };
                factory.rules()?;
                Ok(factory)
            }
            DeciderSpec::Model(name) => {
                let model_err = |source| DeciderError::Model {
                    spec: spec.to_string(),
                    source,
                };
                let (key, m) = build::model(&config.llm, Some(name)).map_err(model_err)?;
                let live = build::provider(key, m).map_err(model_err)?;
                DeciderFactory::with_provider(name, config, live, record)
            }
            DeciderSpec::Replay(path) => {
                let (key, llm, recorded) = replay_model(spec, path, &config.llm)?;
                let replay = ReplayProvider::load(path, &recorded).map_err(|e| DeciderError::Replay {
                    spec: spec.to_string(),
                    message: e.to_string(),
                })?;
                Ok(DeciderFactory {
                    label: spec.to_string(),
                    config: config.clone(),
                    source: Source::Model {
                        key,
                        llm,
                        provider: Arc::new(replay),
                    },
                })
            }
        }
    }

    /// The model `name` of `config.llm.models`, answering through `provider` instead of
    /// its configured client (recorded to `record` when given). Labelled `model:NAME`.
    pub fn with_provider(
        name: &str,
        config: &Config,
        provider: Arc<dyn LlmProvider>,
        record: Option<&Path>,
    ) -> Result<Self, DeciderError> {
        let label = DeciderSpec::Model(name.to_string()).to_string();
        let (key, _) = build::model(&config.llm, Some(name)).map_err(|source| DeciderError::Model {
            spec: label.clone(),
            source,
        })?;
        let provider: Arc<dyn LlmProvider> = match record {
            Some(path) => Arc::new(
                RecordingProvider::new(provider, path).map_err(|e| DeciderError::Replay {
                    spec: label.clone(),
                    message: e.to_string(),
                })?,
            ),
            None => provider,
        };
        Ok(DeciderFactory {
            source: Source::Model {
                key: key.to_string(),
                llm: config.llm.clone(),
                provider,
            },
            label,
            config: config.clone(),
        })
    }

    /// A decider used as it is for every run, reported under `label`.
    pub fn fixed(label: &str, decider: Arc<dyn Decider>) -> Self {
        DeciderFactory {
            label: label.to_string(),
            config: Config::default(),
            source: Source::Fixed(decider),
        }
    }

    /// The name the report gives the decider (`rules`, `model:NAME`, `replay:FILE`).
    pub fn label(&self) -> &str {
        &self.label
    }

    fn rules(&self) -> Result<Vec<Arc<dyn Decider>>, DeciderError> {
        let mut deciders: Vec<Arc<dyn Decider>> = Vec::new();
        if !self.config.rules.is_empty() {
            let rules = RulesDecider::new("rules", self.config.rules.clone()).map_err(|problems| {
                DeciderError::Rules(
                    problems
                        .iter()
                        .map(|(p, m)| format!("  - {p}: {m}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })?;
            deciders.push(Arc::new(rules.with_bounds(self.config.bounds.clone())));
        }
        if self.config.builtin_rules {
            deciders.push(Arc::new(
                RulesDecider::builtin().with_bounds(self.config.bounds.clone()),
            ));
        }
        Ok(deciders)
    }

    /// The decider for one run, whose tools (for a model) read `cluster`. A model stands
    /// alone in its chain: when it fails, the run escalates rather than fall back to the rules.
    pub fn build(&self, cluster: Arc<dyn Cluster>, policy: &PolicyConfig) -> Result<Arc<dyn Decider>, DeciderError> {
        let deciders = match &self.source {
            Source::Rules => self.rules()?,
            Source::Fixed(d) => vec![d.clone()],
            Source::Model { key, llm, provider } => {
                let parts = DeciderParts {
                    policy: policy.clone(),
                    bounds: self.config.bounds.clone(),
                    cluster: Some(cluster),
                };
                let decider = build::decider(llm, Some(key), Some(provider.clone()), parts).map_err(|source| {
                    DeciderError::Model {
                        spec: self.label.clone(),
                        source,
                    }
                })?;
                vec![Arc::new(decider) as Arc<dyn Decider>]
            }
        };
        Ok(Arc::new(Chain::new(deciders)))
    }
}

/// The model a recording answers for: its config name and the `llm:` section holding it
/// (the configured model whose `model` the recording names, else that model with default
/// settings), and the model name recorded.
fn replay_model(spec: &DeciderSpec, path: &Path, llm: &LlmConfig) -> Result<(String, LlmConfig, String), DeciderError> {
    let err = |message: String| DeciderError::Replay {
        spec: spec.to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    let mut models = BTreeSet::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let r: Recorded =
            serde_json::from_str(line).map_err(|e| err(format!("{} line {}: {e}", path.display(), i + 1)))?;
        models.insert(r.model);
    }
    let recorded = match models.len() {
        0 => return Err(err(format!("{} holds no recorded answer", path.display()))),
        1 => models.into_iter().next().unwrap_or_default(),
        _ => {
            let default = llm.default_model().map(|(_, m)| m.model.clone());
            match default.filter(|d| models.contains(d)) {
                Some(d) => d,
                None => {
                    return Err(err(format!(
                        "{} records several models ({}): make the one to replay llm.default",
                        path.display(),
                        models.into_iter().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
    };
    if let Some((key, _)) = llm.models.iter().find(|(_, m)| m.model == recorded) {
        return Ok((key.clone(), llm.clone(), recorded));
    }
    let mut llm = llm.clone();
    llm.models.insert(
        recorded.clone(),
        ModelConfig {
            model: recorded.clone(),
            ..ModelConfig::default()
        },
    );
    Ok((recorded.clone(), llm, recorded))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print() {
        for text in ["rules", "model:gpt-4o", "replay:evals/recorded.jsonl"] {
            assert_eq!(text.parse::<DeciderSpec>().unwrap().to_string(), text);
        }
        for bad in ["llm", "model:", "replay:", "rule"] {
            assert!(
                bad.parse::<DeciderSpec>().unwrap_err().contains("expected `rules`"),
                "{bad}"
            );
        }
    }
}
