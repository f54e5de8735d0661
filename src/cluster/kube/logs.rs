//! Bounded log tails through the `pods/{name}/log` subresource.
//!
//! The API's `limitBytes` counts from the *start* of what it sends, so it cannot ask for
//! "the last N bytes". A tail is therefore asked as `tailLines` (estimated from the byte
//! budget) with a generous `limitBytes` cap; when the cap is hit the lines were longer than
//! estimated, and the tail is asked again with fewer lines. The answer is then cut locally
//! to the budget, at a character and, where possible, a line boundary.
//!
//! This must never read an unbounded log into memory: every request carries `limitBytes`.

use futures::AsyncReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};

use super::errors::{Call, map_error};
use crate::cluster::ClusterError;

/// The line length the first request assumes, to turn a byte budget into `tailLines`.
const ASSUMED_LINE_BYTES: usize = 64;
/// Bounds on the `tailLines` of the first request.
const MAX_LINES: usize = 10_000;
/// `limitBytes` is this many times the budget: room for lines longer than assumed.
const OVERFETCH: usize = 4;

/// The last `max_bytes` of a container's log; `None` when it has no such log.
pub(super) async fn tail(
    api: &Api<Pod>,
    namespace: &str,
    pod: &str,
    container: &str,
    previous: bool,
    max_bytes: usize,
) -> Result<Option<String>, ClusterError> {
    let what = format!(
        "log of pod/{namespace}/{pod} container {container}{}",
        if previous { " (previous)" } else { "" }
    );
    let budget = max_bytes.max(1);
    let limit = budget.saturating_mul(OVERFETCH).min(i64::MAX as usize);
    let mut lines = (budget / ASSUMED_LINE_BYTES).clamp(1, MAX_LINES);
    loop {
        let params = LogParams {
            container: Some(container.to_string()),
            previous,
            tail_lines: Some(lines as i64),
            limit_bytes: Some(limit as i64),
            ..LogParams::default()
        };
        let stream = match api.log_stream(pod, &params).await {
            Ok(stream) => stream,
            Err(e) if no_such_log(&e) => return Ok(None),
            Err(e) => return Err(map_error(e, &what, Call::Other)),
        };
        let mut bytes = Vec::new();
        std::pin::pin!(stream)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| ClusterError::Unavailable(format!("{what}: reading the log failed: {e}")))?;
        if bytes.len() < limit || lines == 1 {
            return Ok(Some(last_bytes(&bytes, max_bytes)));
        }
        lines = (lines / OVERFETCH).max(1);
    }
}

/// Whether the API said there is no such log: the pod is gone, the container never ran
/// (`... is waiting to start: ContainerCreating`), or it has no terminated instance
/// (`previous terminated container "app" in pod "api-1" not found`).
fn no_such_log(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(status) => {
            status.code == 404
                || status.reason == "NotFound"
                || (status.code == 400
                    && ((status.message.contains("previous terminated container")
                        && status.message.contains("not found"))
                        || status.message.contains("is waiting to start")))
        }
        _ => false,
    }
}

/// The last `max` bytes of `log` as text, starting at a character boundary, and at the
/// start of a line when the cut fell inside one that is not the last.
fn last_bytes(log: &[u8], max: usize) -> String {
    if log.len() <= max {
        return String::from_utf8_lossy(log).into_owned();
    }
    let mut start = log.len() - max;
    while start < log.len() && (log[start] & 0b1100_0000) == 0b1000_0000 {
        start += 1;
    }
    if start > 0 && start < log.len() && log[start - 1] != b'\n' {
        let body = &log[start..log.len() - 1];
        if let Some(i) = body.iter().position(|&b| b == b'\n') {
            start += i + 1;
        }
    }
    String::from_utf8_lossy(&log[start..]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_bytes_starts_at_a_line_when_it_can() {
        let log = b"first line\nsecond line\nthird\n";
        assert_eq!(last_bytes(log, 100), "first line\nsecond line\nthird\n");
        assert_eq!(last_bytes(log, 15), "third\n");
        // Exactly on a line start: nothing is skipped.
        assert_eq!(last_bytes(log, 18), "second line\nthird\n");
        // Inside the only (last) line: its end is kept rather than nothing.
        assert_eq!(last_bytes(b"one very long line\n", 5), "line\n");
    }

    #[test]
    fn last_bytes_never_splits_a_character() {
        let log = "ééé".as_bytes(); // 6 bytes, 2 per character
        assert_eq!(last_bytes(log, 3), "é");
        assert_eq!(last_bytes(log, 4), "éé");
    }
}
