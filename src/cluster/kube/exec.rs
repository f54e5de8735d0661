//! Exec through the `pods/{name}/exec` subresource: kube-rs's [`Api::exec`], a WebSocket
//! upgrade speaking the `v5.channel.k8s.io`/`v4.channel.k8s.io` subprotocols (stdout on
//! channel 1, stderr on 2, the exit `Status` on 3).
//!
//! stdout and stderr are read together, each kept up to the byte budget and the rest
//! drained and counted, so a chatty command cannot block or flood medic. The whole call,
//! upgrade included, is bounded by the operation's timeout; the client's read timeout
//! (30 s unless configured) also bounds how long the command may stay silent. The exit
//! code comes from the final `Status`: a non-zero exit is a successful call whose message
//! says the code; a command that could not run at all is an error.
//!
//! Like the rest of this module it sends exactly one request and never retries.

use std::time::Duration;

use ::kube::api::{Api, AttachParams};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::errors::{Call, map_error};
use crate::cluster::{ClusterError, OperationResult};

/// What one exec call runs, and within which limits.
pub(super) struct ExecCall<'a> {
    /// The pod's namespace.
    pub namespace: &'a str,
    /// The pod.
    pub pod: &'a str,
    /// The container.
    pub container: &'a str,
    /// The argv.
    pub command: &'a [String],
    /// The time the whole call may take.
    pub timeout: Duration,
    /// Bytes of output kept (stdout first, then stderr).
    pub max_output_bytes: usize,
}

/// Runs the command and collects its output and exit code.
pub(super) async fn exec(api: &Api<Pod>, call: &ExecCall<'_>) -> Result<OperationResult, ClusterError> {
    let what = format!("pod/{}/{}", call.namespace, call.pod);
    let started = format!("exec in {what} -c {}", call.container);
    let run = async {
        let params = AttachParams::default()
            .container(call.container)
            .stdin(false)
            .stdout(true)
            .stderr(true);
        let mut process = api
            .exec(call.pod, call.command.to_vec(), &params)
            .await
            .map_err(|e| map_error(e, &what, Call::Other))?;
        let status = process.take_status();
        let (stdout, stderr) = tokio::join!(
            read_bounded(process.stdout(), call.max_output_bytes),
            read_bounded(process.stderr(), call.max_output_bytes)
        );
        let broken =
            |e: std::io::Error| ClusterError::Unavailable(format!("{started}: reading its output failed: {e}"));
        let (stdout, stderr) = (stdout.map_err(broken)?, stderr.map_err(broken)?);
        let status = match status {
            Some(s) => s.await,
            None => None,
        };
        process
            .join()
            .await
            .map_err(|e| ClusterError::Unavailable(format!("{started}: the stream broke: {e}")))?;
        Ok::<_, ClusterError>((stdout, stderr, status))
    };
    let (stdout, stderr, status) = tokio::time::timeout(call.timeout, run).await.map_err(|_| ClusterError::Api {
        code: 504,
        what: what.clone(),
        message: format!(
            "{started}: no exit status within {}s; medic stopped waiting (the command may still run in the container)",
            call.timeout.as_secs()
        ),
    })??;
    let (output, cut) = compose(&stdout, &stderr, call.max_output_bytes);
    let ended = match exit_code(status.as_ref()) {
        Exit::Code(code) => format!("exited {code}"),
        Exit::Unknown => "ended without an exit status".to_string(),
        Exit::Failed(status) => {
            let message = status
                .message
                .clone()
                .unwrap_or_else(|| "the command could not run".into());
            return Err(ClusterError::Api {
                code: status
                    .code
                    .and_then(|c| u16::try_from(c).ok())
                    .filter(|c| *c != 0)
                    .unwrap_or(500),
                what,
                message: format!("{started}: {message}"),
            });
        }
    };
    let cut = match cut {
        0 => String::new(),
        n => format!(
            " ({n} bytes of output past the first {} were dropped)",
            call.max_output_bytes
        ),
    };
    Ok(OperationResult {
        object: None,
        message: format!("{started} {ended}{cut}"),
        output: Some(output),
    })
}

/// Output of one stream: the bytes kept and how many more were drained.
struct Bounded {
    kept: Vec<u8>,
    dropped: usize,
}

/// Reads a stream to its end, keeping at most `max` bytes.
async fn read_bounded<R: AsyncRead + Unpin>(reader: Option<R>, max: usize) -> std::io::Result<Bounded> {
    let mut out = Bounded {
        kept: Vec::new(),
        dropped: 0,
    };
    let Some(mut reader) = reader else {
        return Ok(out);
    };
    let mut buf = [0u8; 8192];
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            return Ok(out);
        }
        let room = max.saturating_sub(out.kept.len()).min(n);
        out.kept.extend_from_slice(&buf[..room]);
        out.dropped += n - room;
    }
}

/// stdout, then stderr under a `--- stderr ---` line, as text of at most `max` bytes;
/// and how many bytes of output were not kept.
fn compose(stdout: &Bounded, stderr: &Bounded, max: usize) -> (String, usize) {
    const SEPARATOR: &[u8] = b"--- stderr ---\n";
    let mut bytes: Vec<u8> = stdout.kept.iter().copied().take(max).collect();
    let mut kept = bytes.len();
    if !stderr.kept.is_empty() {
        if !bytes.is_empty() {
            let newline = usize::from(!bytes.ends_with(b"\n"));
            if bytes.len() + newline + SEPARATOR.len() < max {
                bytes.extend(std::iter::repeat_n(b'\n', newline));
                bytes.extend_from_slice(SEPARATOR);
            }
        }
        let room = max.saturating_sub(bytes.len());
        let taken = stderr.kept.len().min(room);
        bytes.extend_from_slice(&stderr.kept[..taken]);
        kept += taken;
    }
    let received = stdout.kept.len() + stdout.dropped + stderr.kept.len() + stderr.dropped;
    (String::from_utf8_lossy(&bytes).into_owned(), received - kept)
}

/// How the command ended, from the `Status` on the error channel.
enum Exit<'a> {
    /// It exited with this code.
    Code(i32),
    /// The stream closed without a status.
    Unknown,
    /// It could not run (no such executable, container gone, ...).
    Failed(&'a Status),
}

fn exit_code(status: Option<&Status>) -> Exit<'_> {
    let Some(status) = status else {
        return Exit::Unknown;
    };
    if status.status.as_deref() == Some("Success") {
        return Exit::Code(0);
    }
    let code = (status.reason.as_deref() == Some("NonZeroExitCode"))
        .then(|| {
            status
                .details
                .as_ref()?
                .causes
                .as_ref()?
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))?
                .message
                .as_deref()?
                .trim()
                .parse::<i32>()
                .ok()
        })
        .flatten();
    match code {
        Some(code) => Exit::Code(code),
        None => Exit::Failed(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(text: &str, dropped: usize) -> Bounded {
        Bounded {
            kept: text.as_bytes().to_vec(),
            dropped,
        }
    }

    #[test]
    fn output_is_stdout_then_stderr_within_the_budget() {
        assert_eq!(compose(&bounded("a\n", 0), &bounded("", 0), 10), ("a\n".to_string(), 0));
        assert_eq!(
            compose(&bounded("out", 0), &bounded("err\n", 0), 100),
            ("out\n--- stderr ---\nerr\n".to_string(), 0)
        );
        assert_eq!(
            compose(&bounded("", 0), &bounded("err", 0), 100),
            ("err".to_string(), 0)
        );
        assert_eq!(
            compose(&bounded("0123456789", 5), &bounded("e", 0), 10),
            ("0123456789".to_string(), 6)
        );
        assert_eq!(
            compose(&bounded("ab\n", 0), &bounded("error\n", 0), 20),
            ("ab\n--- stderr ---\ner".to_string(), 4)
        );
    }

    #[tokio::test]
    async fn streams_are_drained_past_the_budget() {
        let data = vec![b'x'; 20_000];
        let read = read_bounded(Some(&data[..]), 100).await.unwrap();
        assert_eq!((read.kept.len(), read.dropped), (100, 19_900));
        let none = read_bounded(None::<&[u8]>, 100).await.unwrap();
        assert_eq!((none.kept.len(), none.dropped), (0, 0));
    }

    #[test]
    fn exit_codes_come_from_the_status() {
        let status = |v: serde_json::Value| serde_json::from_value::<Status>(v).unwrap();
        let ok = status(serde_json::json!({"status": "Success", "metadata": {}}));
        assert!(matches!(exit_code(Some(&ok)), Exit::Code(0)));
        let failed = status(serde_json::json!({"status": "Failure", "reason": "NonZeroExitCode",
            "message": "command terminated with non-zero exit code: error executing command [false], exit code 3",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]}}));
        assert!(matches!(exit_code(Some(&failed)), Exit::Code(3)));
        let broken = status(serde_json::json!({"status": "Failure", "reason": "InternalError",
            "message": "exec: \"nope\": executable file not found in $PATH", "code": 500}));
        assert!(matches!(exit_code(Some(&broken)), Exit::Failed(_)));
        assert!(matches!(exit_code(None), Exit::Unknown));
    }
}
