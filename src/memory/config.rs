//! The `memory:` section of the config file: which embedder, which vector index, how many
//! similar incidents go into the context. Doc comments here are the user reference.
//!
//! [`MemoryConfig::problems`] is the pure semantic check (every problem at once, with its
//! path); building clients from the checked config happens in `app.rs`, never here.

use serde::{Deserialize, Serialize};

use crate::config::Problem;

/// Dimensions of the default hashed embedder.
pub const DEFAULT_HASHED_DIMS: usize = 512;
/// Similar incidents put into the context by default.
pub const DEFAULT_K: usize = 5;
/// The Qdrant collection used unless one is named.
pub const DEFAULT_COLLECTION: &str = "medic_incidents";
/// Most similar incidents the context may carry.
pub const MAX_K: usize = 50;
/// Fewest and most dimensions an embedder may have.
pub const DIMS_RANGE: std::ops::RangeInclusive<usize> = 8..=8192;

/// Similar-incident retrieval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// How many similar past incidents (with their actions and scores) go into each new
    /// incident's context. `0` turns retrieval off; decided incidents are still indexed.
    /// Default 5, at most 50.
    pub k: usize,
    /// How incident text becomes a vector.
    pub embedder: EmbedderConfig,
    /// Where the vectors are kept and searched.
    pub index: IndexConfig,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            k: DEFAULT_K,
            embedder: EmbedderConfig::default(),
            index: IndexConfig::default(),
        }
    }
}

/// The embedder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum EmbedderConfig {
    /// The default: hashed word and character n-grams of the normalized incident text.
    /// Needs no model and no network.
    Hashed {
        /// Vector dimensions. Default 512.
        #[serde(default = "default_hashed_dims")]
        dims: usize,
    },
    /// An OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure, Ollama, vLLM, ...).
    Openai {
        /// The API base URL, up to and without `/embeddings`. Default
        /// `https://api.openai.com/v1`.
        #[serde(default = "default_openai_base_url")]
        base_url: String,
        /// The embedding model. Default `text-embedding-3-small`.
        #[serde(default = "default_openai_model")]
        model: String,
        /// The model's vector dimensions (checked on every answer). Default 1536.
        #[serde(default = "default_openai_dims")]
        dims: usize,
        /// The environment variable holding the API key, sent as a bearer token (e.g.
        /// `OPENAI_API_KEY`). Default: no key (local servers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        api_key_env: Option<String>,
    },
}

impl Default for EmbedderConfig {
    fn default() -> Self {
        EmbedderConfig::Hashed {
            dims: DEFAULT_HASHED_DIMS,
        }
    }
}

impl EmbedderConfig {
    /// The vector dimensions this embedder produces.
    pub fn dims(&self) -> usize {
        match self {
            EmbedderConfig::Hashed { dims } | EmbedderConfig::Openai { dims, .. } => *dims,
        }
    }
}

/// The vector index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum IndexConfig {
    /// The default: vectors kept in medic's own database (table `incident_vectors`),
    /// loaded into memory at start and searched exhaustively by cosine.
    Embedded {},
    /// A Qdrant server, for large fleets. The collection is created on start when
    /// missing (cosine distance, the embedder's dimensions).
    Qdrant {
        /// The server's gRPC URL, e.g. `http://qdrant:6334`.
        url: String,
        /// The collection. Default `medic_incidents`.
        #[serde(default = "default_collection")]
        collection: String,
        /// The environment variable holding Qdrant's API key. Default: no key.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        api_key_env: Option<String>,
    },
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig::Embedded {}
    }
}

impl MemoryConfig {
    /// Every semantic problem of the section, with its dotted path under `memory`.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut problem = |path: &str, message: String| {
            out.push(Problem {
                path: format!("memory.{path}"),
                message,
            })
        };
        if self.k > MAX_K {
            problem("k", format!("must be at most {MAX_K}, found {}", self.k));
        }
        let dims = self.embedder.dims();
        if !DIMS_RANGE.contains(&dims) {
            problem(
                "embedder.dims",
                format!(
                    "must be between {} and {}, found {dims}",
                    DIMS_RANGE.start(),
                    DIMS_RANGE.end()
                ),
            );
        }
        if let EmbedderConfig::Openai {
            base_url,
            model,
            api_key_env,
            ..
        } = &self.embedder
        {
            if !is_http_url(base_url) {
                problem(
                    "embedder.base_url",
                    format!("{base_url:?} is not an http:// or https:// URL"),
                );
            }
            if model.trim().is_empty() {
                problem("embedder.model", "must not be empty".into());
            }
            if let Some(env) = api_key_env
                && !is_env_name(env)
            {
                problem(
                    "embedder.api_key_env",
                    format!("{env:?} is not an environment variable name"),
                );
            }
        }
        if let IndexConfig::Qdrant {
            url,
            collection,
            api_key_env,
        } = &self.index
        {
            if !is_http_url(url) {
                problem("index.url", format!("{url:?} is not an http:// or https:// URL"));
            }
            let valid_collection = !collection.is_empty()
                && collection.len() <= 255
                && collection
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !valid_collection {
                problem(
                    "index.collection",
                    format!("{collection:?} is not a collection name (letters, digits, `_`, `-`)"),
                );
            }
            if let Some(env) = api_key_env
                && !is_env_name(env)
            {
                problem(
                    "index.api_key_env",
                    format!("{env:?} is not an environment variable name"),
                );
            }
        }
        out
    }
}

fn is_http_url(url: &str) -> bool {
    ["http://", "https://"]
        .iter()
        .any(|scheme| url.strip_prefix(scheme).is_some_and(|rest| !rest.is_empty()))
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn default_hashed_dims() -> usize {
    DEFAULT_HASHED_DIMS
}

fn default_openai_base_url() -> String {
    "https://api.openai.com/v1".into()
}

fn default_openai_model() -> String {
    "text-embedding-3-small".into()
}

fn default_openai_dims() -> usize {
    1536
}

fn default_collection() -> String {
    DEFAULT_COLLECTION.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_hashed_embedded_and_valid() {
        let config: MemoryConfig = serde_yaml_ng::from_str("{}").unwrap();
        assert_eq!(config, MemoryConfig::default());
        assert_eq!(config.k, 5);
        assert_eq!(config.embedder, EmbedderConfig::Hashed { dims: 512 });
        assert_eq!(config.index, IndexConfig::Embedded {});
        assert!(config.problems().is_empty());
    }

    #[test]
    fn parses_openai_and_qdrant_with_defaults() {
        let config: MemoryConfig = serde_yaml_ng::from_str(
            "k: 3\nembedder: {kind: openai, api_key_env: OPENAI_API_KEY}\nindex: {kind: qdrant, url: 'http://qdrant:6334'}",
        )
        .unwrap();
        assert_eq!(
            config.embedder,
            EmbedderConfig::Openai {
                base_url: "https://api.openai.com/v1".into(),
                model: "text-embedding-3-small".into(),
                dims: 1536,
                api_key_env: Some("OPENAI_API_KEY".into()),
            }
        );
        assert_eq!(
            config.index,
            IndexConfig::Qdrant {
                url: "http://qdrant:6334".into(),
                collection: "medic_incidents".into(),
                api_key_env: None,
            }
        );
        assert!(config.problems().is_empty(), "{:?}", config.problems());
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = serde_yaml_ng::from_str::<MemoryConfig>("embedder: {kind: hashed, dim: 3}").unwrap_err();
        assert!(err.to_string().contains("dim"), "{err}");
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let config = MemoryConfig {
            k: 99,
            embedder: EmbedderConfig::Openai {
                base_url: "api.openai.com".into(),
                model: " ".into(),
                dims: 4,
                api_key_env: Some("OPENAI KEY".into()),
            },
            index: IndexConfig::Qdrant {
                url: "qdrant:6334".into(),
                collection: "a/b".into(),
                api_key_env: None,
            },
        };
        let paths: Vec<String> = config.problems().into_iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "memory.k",
                "memory.embedder.dims",
                "memory.embedder.base_url",
                "memory.embedder.model",
                "memory.embedder.api_key_env",
                "memory.index.url",
                "memory.index.collection",
            ]
        );
    }
}
