//! [`OpenAiEmbedder`]: an OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure OpenAI,
//! Ollama, vLLM, llama.cpp server, ...).
//!
//! It posts `{"model": ..., "input": [...]}` to `{base_url}/embeddings` with the API key
//! as a bearer token, and reads `data[].embedding`, placed by each item's `index`. Every
//! vector must have the configured dimensions. Errors name the provider, the model and
//! the HTTP status, with the provider's own `error.message`.
//!
//! It only embeds text: it must not log the texts (they may hold log lines) nor the key.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::embed::Embedder;
use super::error::MemoryError;

/// The provider name in errors.
const PROVIDER: &str = "openai";
/// Texts per request (the API accepts up to 2048).
const BATCH: usize = 256;
/// How long one request may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Most bytes of an error body quoted when it is not the API's error JSON.
const MAX_QUOTED_BODY: usize = 300;

/// An OpenAI-compatible embeddings client.
#[derive(Debug, Clone)]
pub struct OpenAiEmbedder {
    client: reqwest::Client,
    url: String,
    model: String,
    dims: usize,
    api_key: Option<String>,
    name: String,
}

/// The request body.
#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    input: &'a [String],
}

/// The answer: `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[...]}],...}`.
#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

/// An error answer: `{"error":{"message":"...","type":"...","code":"..."}}`.
#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

impl OpenAiEmbedder {
    /// A client for `model` at `base_url` (up to and without `/embeddings`), expecting
    /// `dims`-component vectors, sending `api_key` as a bearer token when there is one.
    pub fn new(base_url: &str, model: &str, dims: usize, api_key: Option<String>) -> Result<Self, MemoryError> {
        let url = format!("{}/embeddings", base_url.trim_end_matches('/'));
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .build()
            .map_err(|source| MemoryError::Transport {
                provider: PROVIDER.into(),
                model: model.into(),
                url: url.clone(),
                source,
            })?;
        Ok(OpenAiEmbedder {
            client,
            url,
            model: model.to_string(),
            dims,
            api_key,
            name: format!("{PROVIDER}:{model}"),
        })
    }

    /// One request for at most [`BATCH`] texts.
    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MemoryError> {
        let mut request = self.client.post(&self.url).json(&Request {
            model: &self.model,
            input: texts,
        });
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let transport = |source| MemoryError::Transport {
            provider: PROVIDER.into(),
            model: self.model.clone(),
            url: self.url.clone(),
            source,
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let body = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(MemoryError::Provider {
                provider: PROVIDER.into(),
                model: self.model.clone(),
                status: status.as_u16(),
                message: error_message(&body),
            });
        }
        let bad = |message: String| MemoryError::BadResponse {
            provider: PROVIDER.into(),
            model: self.model.clone(),
            message,
        };
        let parsed: Response =
            serde_json::from_slice(&body).map_err(|e| bad(format!("not an embeddings list: {e}")))?;
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for item in parsed.data {
            let slot = vectors.get_mut(item.index).ok_or_else(|| {
                bad(format!(
                    "data[].index {} out of range for {} inputs",
                    item.index,
                    texts.len()
                ))
            })?;
            if item.embedding.len() != self.dims {
                return Err(MemoryError::Dimensions {
                    what: format!("input {} from model {}", item.index, self.model),
                    expected: self.dims,
                    found: item.embedding.len(),
                });
            }
            *slot = Some(item.embedding);
        }
        vectors
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| bad(format!("no embedding for input {i}"))))
            .collect()
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dims(&self) -> usize {
        self.dims
    }

    async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, MemoryError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            out.extend(self.embed_batch(chunk).await?);
        }
        Ok(out)
    }
}

/// The API's `error.message`, or the start of the body.
fn error_message(body: &[u8]) -> String {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => e.error.message,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let cut: String = text.chars().take(MAX_QUOTED_BODY).collect();
            if cut.trim().is_empty() {
                "(empty body)".into()
            } else {
                cut
            }
        }
    }
}

#[cfg(test)]
mod tests;
