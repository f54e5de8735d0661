//! What can go wrong talking to a model. Every error names the provider and the model.

/// A failed model call (after the transport's retries).
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider answered with an error status.
    #[error("{provider} model {model}: HTTP {status}: {message}")]
    Status {
        /// `openai`, `azure`, `anthropic`, `replay`.
        provider: String,
        /// The model.
        model: String,
        /// The HTTP status.
        status: u16,
        /// The provider's error message (type and message from its error body).
        message: String,
    },
    /// No answer within the timeout, on every attempt.
    #[error("{provider} model {model}: no answer within {seconds:.1}s ({attempts} attempts)")]
    Timeout {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// The per-attempt timeout, in seconds.
        seconds: f64,
        /// Attempts made.
        attempts: u32,
    },
    /// The provider could not be reached.
    #[error("{provider} model {model}: cannot reach {url}: {message}")]
    Unreachable {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// The URL.
        url: String,
        /// The connection error.
        message: String,
    },
    /// The provider answered something that is not its documented response.
    #[error("{provider} model {model}: unexpected response: {message}")]
    Decode {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// What did not parse, quoting the start of the body.
        message: String,
    },
    /// The model is not usable as configured (missing key variable, bad URL).
    #[error("{provider} model {model}: {message}")]
    Config {
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// What is wrong.
        message: String,
    },
    /// A replayed call that failed when it was recorded.
    #[error("{provider} model {model} (replayed): {message}")]
    Replayed {
        /// The provider that failed when recording.
        provider: String,
        /// The model.
        model: String,
        /// The recorded error.
        message: String,
    },
    /// A replay file has no recorded answer for this request.
    #[error("replay of model {model}: no recorded answer for request {fingerprint} in {file}")]
    NotRecorded {
        /// The model the recording is for.
        model: String,
        /// The request's fingerprint.
        fingerprint: String,
        /// The recording file.
        file: String,
    },
}

impl LlmError {
    /// The HTTP status, when the provider answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            LlmError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}
