//! The one place where kube-rs errors become [`ClusterError`]s.
//!
//! API answers are told apart by their HTTP code (falling back on the `reason` when a
//! `Status` carries no code); the API's own `message` is kept. Nothing here retries or
//! judges whether to: [`ClusterError::is_retryable`] does that.

use std::error::Error as _;

use ::kube::core::Status;

use crate::cluster::ClusterError;

/// Which kind of call failed, where the same code means different things.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    /// POST pods/{name}/eviction: a 429 is a PodDisruptionBudget saying no.
    Evict,
    /// Anything else.
    Other,
}

/// Maps a failed call about `what` (an object reference or a description of the call).
pub(super) fn map_error(err: ::kube::Error, what: &str, call: Call) -> ClusterError {
    match err {
        ::kube::Error::Api(status) => from_status(&status, what, call),
        ::kube::Error::BuildRequest(e) => {
            ClusterError::Unsupported(format!("cannot build the request for {what}: {e}"))
        }
        other => ClusterError::Unavailable(format!("{what}: {}", chain(&other))),
    }
}

/// Maps an API server's `Status` answer.
fn from_status(status: &Status, what: &str, call: Call) -> ClusterError {
    let what = what.to_string();
    let message = if status.message.is_empty() {
        status.reason.clone()
    } else {
        status.message.clone()
    };
    match code_of(status) {
        404 => ClusterError::NotFound(what),
        409 => ClusterError::Conflict { what, message },
        422 => ClusterError::Invalid { what, message },
        429 if call == Call::Evict && is_disruption_budget(status) => {
            let cause = status
                .details
                .iter()
                .flat_map(|d| &d.causes)
                .find(|c| !c.message.is_empty())
                .map(|c| format!(" ({})", c.message))
                .unwrap_or_default();
            ClusterError::DisruptionBudget {
                what,
                message: format!("{message}{cause}"),
            }
        }
        401 | 403 => ClusterError::Forbidden { what, message },
        0 => ClusterError::Unavailable(format!(
            "{what}: the API server answered an error without a status: {message}"
        )),
        code => ClusterError::Api { code, what, message },
    }
}

/// The HTTP code of an answer; from its `reason` when the `Status` carries no code.
fn code_of(status: &Status) -> u16 {
    if status.code != 0 {
        return status.code;
    }
    match status.reason.as_str() {
        "NotFound" => 404,
        "AlreadyExists" | "Conflict" => 409,
        "Invalid" => 422,
        "TooManyRequests" => 429,
        "Unauthorized" => 401,
        "Forbidden" => 403,
        _ => 0,
    }
}

/// Whether a 429 to an eviction comes from a PodDisruptionBudget, rather than from the API
/// server's own rate limiting (which is worth retrying soon).
fn is_disruption_budget(status: &Status) -> bool {
    let by_cause = status
        .details
        .iter()
        .flat_map(|d| &d.causes)
        .any(|c| c.reason == "DisruptionBudget");
    by_cause || status.message.contains("disruption budget")
}

/// An error and its causes, `outer: inner: innermost`, without repeating a cause that its
/// parent already quotes.
fn chain(err: &::kube::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = e.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, reason: &str, message: &str) -> ::kube::Error {
        ::kube::Error::Api(Status::failure(message, reason).with_code(code).boxed())
    }

    #[test]
    fn codes_map_to_variants() {
        let w = "pod/shop/api-1";
        assert!(
            matches!(map_error(status(404, "NotFound", "gone"), w, Call::Other), ClusterError::NotFound(s) if s == w)
        );
        assert!(matches!(
            map_error(status(409, "Conflict", "changed"), w, Call::Other),
            ClusterError::Conflict { message, .. } if message == "changed"
        ));
        assert!(matches!(
            map_error(status(500, "InternalError", "boom"), w, Call::Other),
            ClusterError::Api { code: 500, .. }
        ));
        // A 429 on an eviction without a budget cause is rate limiting, not a PDB.
        assert!(matches!(
            map_error(
                status(429, "TooManyRequests", "Too many requests, please try again later."),
                w,
                Call::Evict
            ),
            ClusterError::Api { code: 429, .. }
        ));
    }

    #[test]
    fn a_status_without_code_is_mapped_by_its_reason() {
        let e = map_error(
            status(0, "AlreadyExists", "configmaps \"x\" already exists"),
            "x",
            Call::Other,
        );
        assert!(matches!(e, ClusterError::Conflict { .. }), "{e:?}");
        let e = map_error(status(0, "", "<html>bad gateway</html>"), "x", Call::Other);
        assert!(matches!(e, ClusterError::Unavailable(_)), "{e:?}");
    }
}
