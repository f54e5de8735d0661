//! Recording and replaying model answers, for the evaluation harness and for tests.
//!
//! [`RecordingProvider`] wraps a real provider and appends one JSON line per request to a
//! file: `{"fingerprint", "provider", "model", "response" | "error", "request"}`.
//! [`ReplayProvider`] answers from such a file: the request's fingerprint (a SHA-256 of the
//! model name and the whole provider-neutral request) finds the recorded response, so a
//! scenario replays exactly, offline and for free, as long as medic builds the same
//! request (prompts are deterministic: no clock in them, anonymization numbered by
//! appearance). A request never recorded is an error naming its fingerprint; a recorded
//! error replays as that error.
//!
//! One file may hold the answers of several models (the harness compares them): the
//! replay provider loads only the lines of its model.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::LlmError;
use super::provider::{ChatRequest, ChatResponse, LlmProvider};

/// The fingerprint of a request to a model: `sha256:` and the hex digest of the model
/// name and the request's JSON.
pub fn fingerprint(model: &str, request: &ChatRequest) -> String {
    let mut h = Sha256::new();
    h.update(model.as_bytes());
    h.update([0u8]);
    h.update(serde_json::to_vec(request).unwrap_or_default());
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// One line of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// The request's [`fingerprint`].
    pub fingerprint: String,
    /// The provider that answered (`openai`, `anthropic`, ...).
    pub provider: String,
    /// The model.
    pub model: String,
    /// The answer, when the call succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ChatResponse>,
    /// The error, when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request (to see why a fingerprint changed); absent when not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ChatRequest>,
}

/// Why a recording cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file cannot be opened or read.
    #[error("cannot read recorded answers {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a recorded answer.
    #[error("recorded answers {path} line {line}: {message}")]
    Line {
        /// The file.
        path: PathBuf,
        /// The line number (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Answers from a recording.
#[derive(Debug)]
pub struct ReplayProvider {
    model: String,
    file: String,
    answers: Mutex<HashMap<String, (Vec<Recorded>, usize)>>,
}

impl ReplayProvider {
    /// Loads the answers recorded for `model` in a JSON-lines file.
    pub fn load(path: &Path, model: &str) -> Result<Self, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|source| ReplayError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let r: Recorded = serde_json::from_str(line).map_err(|e| ReplayError::Line {
                path: path.to_path_buf(),
                line: i + 1,
                message: e.to_string(),
            })?;
            lines.push(r);
        }
        Ok(ReplayProvider::from_records(model, &path.display().to_string(), lines))
    }

    /// Answers from records in memory (those of `model`); `origin` names them in errors.
    pub fn from_records(model: &str, origin: &str, records: Vec<Recorded>) -> Self {
        let mut answers: HashMap<String, (Vec<Recorded>, usize)> = HashMap::new();
        for r in records.into_iter().filter(|r| r.model == model) {
            answers.entry(r.fingerprint.clone()).or_default().0.push(r);
        }
        ReplayProvider {
            model: model.to_string(),
            file: origin.to_string(),
            answers: Mutex::new(answers),
        }
    }

    /// How many distinct requests are recorded.
    pub fn len(&self) -> usize {
        self.answers.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether nothing is recorded for the model.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl LlmProvider for ReplayProvider {
    fn provider(&self) -> &str {
        "replay"
    }

    fn model(&self) -> &str {
        &self.model
    }

    /// The recorded answer; the same request asked again gets the next recorded answer
    /// for it, and the last one once they are used up.
    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let fp = fingerprint(&self.model, request);
        let record = {
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            let (records, next) = answers.get_mut(&fp).ok_or_else(|| LlmError::NotRecorded {
                model: self.model.clone(),
                fingerprint: fp.clone(),
                file: self.file.clone(),
            })?;
            let r = records[(*next).min(records.len() - 1)].clone();
            *next += 1;
            r
        };
        match (record.response, record.error) {
            (Some(response), _) => Ok(response),
            (None, error) => Err(LlmError::Replayed {
                provider: record.provider,
                model: self.model.clone(),
                message: error.unwrap_or_else(|| "recorded without a response".into()),
            }),
        }
    }
}

/// A provider that records every request and answer of another.
pub struct RecordingProvider {
    inner: Arc<dyn LlmProvider>,
    out: Mutex<std::fs::File>,
    path: PathBuf,
    with_requests: bool,
}

impl std::fmt::Debug for RecordingProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingProvider")
            .field("model", &self.inner.model())
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl RecordingProvider {
    /// Records `inner`'s answers, appending to `path` (created if needed).
    pub fn new(inner: Arc<dyn LlmProvider>, path: &Path) -> Result<Self, ReplayError> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| ReplayError::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(RecordingProvider {
            inner,
            out: Mutex::new(out),
            path: path.to_path_buf(),
            with_requests: true,
        })
    }

    /// Leaves the requests out of the recording (smaller files; fingerprints only).
    pub fn without_requests(mut self) -> Self {
        self.with_requests = false;
        self
    }

    fn write(&self, record: &Recorded) {
        let line = match serde_json::to_string(record) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot serialize a recorded answer");
                return;
            }
        };
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        if let Err(e) = writeln!(out, "{line}").and_then(|_| out.flush()) {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot write a recorded answer");
        }
    }
}

#[async_trait]
impl LlmProvider for RecordingProvider {
    fn provider(&self) -> &str {
        self.inner.provider()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let result = self.inner.complete(request).await;
        self.write(&Recorded {
            fingerprint: fingerprint(self.inner.model(), request),
            provider: self.inner.provider().to_string(),
            model: self.inner.model().to_string(),
            response: result.as_ref().ok().cloned(),
            error: result.as_ref().err().map(ToString::to_string),
            request: self.with_requests.then(|| request.clone()),
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::llm::provider::{Message, TokenUsage, ToolChoice};

    struct Canned;

    #[async_trait]
    impl LlmProvider for Canned {
        fn provider(&self) -> &str {
            "openai"
        }
        fn model(&self) -> &str {
            "gpt-test"
        }
        async fn complete(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
            if request.system == "fail" {
                return Err(LlmError::Status {
                    provider: "openai".into(),
                    model: "gpt-test".into(),
                    status: 500,
                    message: "boom".into(),
                });
            }
            Ok(ChatResponse {
                text: Some(format!("echo {}", request.messages.len())),
                tool_calls: vec![],
                usage: TokenUsage {
                    input_tokens: 10,
                    output_tokens: 2,
                },
                stop_reason: Some("stop".into()),
                model: "gpt-test-2026".into(),
            })
        }
    }

    fn request(system: &str) -> ChatRequest {
        ChatRequest {
            system: system.into(),
            messages: vec![Message::User { content: "hi".into() }],
            tools: vec![],
            tool_choice: ToolChoice::Auto,
            response_schema: None,
            temperature: Some(0.0),
            max_output_tokens: 10,
        }
    }

    #[tokio::test]
    async fn recorded_answers_replay_exactly_and_unknown_requests_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("answers.jsonl");
        let recorder = RecordingProvider::new(Arc::new(Canned), &path).unwrap();
        let live = recorder.complete(&request("sys")).await.unwrap();
        let live_err = recorder.complete(&request("fail")).await.unwrap_err().to_string();

        let replay = ReplayProvider::load(&path, "gpt-test").unwrap();
        assert_eq!(replay.len(), 2);
        assert_eq!(replay.provider(), "replay");
        assert_eq!(replay.complete(&request("sys")).await.unwrap(), live);
        let replayed_err = replay.complete(&request("fail")).await.unwrap_err().to_string();
        assert!(replayed_err.contains(&live_err), "{replayed_err} / {live_err}");
        let e = replay.complete(&request("other")).await.unwrap_err();
        assert!(matches!(e, LlmError::NotRecorded { .. }), "{e}");
        assert!(e.to_string().contains("answers.jsonl"), "{e}");

        assert!(ReplayProvider::load(&path, "another-model").unwrap().is_empty());
        std::fs::write(&path, "{not json}\n").unwrap();
        let e = ReplayProvider::load(&path, "gpt-test").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn fingerprints_depend_on_model_and_request() {
        let r = request("sys");
        assert_eq!(fingerprint("m", &r), fingerprint("m", &r.clone()));
        assert_ne!(fingerprint("m", &r), fingerprint("n", &r));
        assert_ne!(fingerprint("m", &r), fingerprint("m", &request("sys2")));
        assert!(fingerprint("m", &r).starts_with("sha256:"));
    }
}
