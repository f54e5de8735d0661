//! Tests of exec through [`super::KubeCluster`] against [`ExecMock`], a WebSocket server
//! that answers the `pods/{name}/exec` upgrade as the API server and kubelet do: the exact
//! request kube-rs sends (path, repeated `command` parameters, streams asked for, the
//! subprotocols offered), and how output, exit codes, refusals and timeouts are read.

use serde_json::{Value, json};

use super::mock::cluster_at;
use super::mock_exec::{ExecMock, ExecReply};
use crate::cluster::{Cluster, ClusterError, Operation, OperationResult};

fn exec_op(timeout_seconds: u64, max_output_bytes: usize) -> Operation {
    Operation::Exec {
        namespace: "shop".into(),
        pod: "api-1".into(),
        container: "api".into(),
        command: vec!["jcmd".into(), "1".into(), "Thread.print".into()],
        timeout_seconds,
        max_output_bytes,
    }
}

fn success() -> Option<Value> {
    Some(json!({"metadata": {}, "status": "Success"}))
}

fn exit_status(code: i32) -> Option<Value> {
    Some(json!({"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
        "message": format!("command terminated with non-zero exit code: error executing command [jcmd 1 Thread.print], exit code {code}"),
        "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}}))
}

fn run(protocol: &'static str, stdout: &str, stderr: &str, status: Option<Value>) -> ExecReply {
    ExecReply::Run {
        protocol,
        stdout: stdout.as_bytes().to_vec(),
        stderr: stderr.as_bytes().to_vec(),
        frame: 7,
        status,
    }
}

async fn apply(mock: &ExecMock, op: &Operation) -> Result<OperationResult, ClusterError> {
    cluster_at(&mock.url()).apply(op).await
}

#[tokio::test]
async fn exec_upgrades_the_exec_subresource_and_collects_the_output() {
    let mock = ExecMock::start(|_| {
        run(
            "v4.channel.k8s.io",
            "Full thread dump OpenJDK 64-Bit Server VM:\n\"main\" #1\n",
            "",
            success(),
        )
    })
    .await;
    let result = apply(&mock, &exec_op(30, 65_536)).await.unwrap();
    assert_eq!(result.message, "exec in pod/shop/api-1 -c api exited 0");
    assert_eq!(
        result.output.as_deref(),
        Some("Full thread dump OpenJDK 64-Bit Server VM:\n\"main\" #1\n")
    );
    assert_eq!(result.object, None);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.path, "/api/v1/namespaces/shop/pods/api-1/exec");
    assert_eq!(req.params("command"), ["jcmd", "1", "Thread.print"]);
    assert_eq!(req.params("container"), ["api"]);
    assert_eq!(req.params("stdout"), ["true"]);
    assert_eq!(req.params("stderr"), ["true"]);
    assert!(
        req.params("stdin").is_empty() && req.params("tty").is_empty(),
        "{:?}",
        req.query
    );
    assert_eq!(req.protocols, "v5.channel.k8s.io, v4.channel.k8s.io");
}

#[tokio::test]
async fn a_non_zero_exit_is_a_result_that_says_the_code() {
    let mock = ExecMock::start(|_| {
        run(
            "v5.channel.k8s.io",
            "partial\n",
            "Unable to open socket file\n",
            exit_status(1),
        )
    })
    .await;
    let result = apply(&mock, &exec_op(30, 65_536)).await.unwrap();
    assert_eq!(result.message, "exec in pod/shop/api-1 -c api exited 1");
    assert_eq!(
        result.output.as_deref(),
        Some("partial\n--- stderr ---\nUnable to open socket file\n")
    );
}

#[tokio::test]
async fn output_past_the_budget_is_drained_and_dropped() {
    let long = "x".repeat(5_000);
    let mock = ExecMock::start(move |_| run("v4.channel.k8s.io", &long, "warning\n", success())).await;
    let result = apply(&mock, &exec_op(30, 1_000)).await.unwrap();
    assert_eq!(result.output.as_deref(), Some("x".repeat(1_000).as_str()));
    assert_eq!(
        result.message,
        "exec in pod/shop/api-1 -c api exited 0 (4008 bytes of output past the first 1000 were dropped)"
    );
}

#[tokio::test]
async fn refusals_before_the_upgrade_are_api_errors() {
    let mock = ExecMock::start(|r| {
        let status = |code: u16, reason: &str, message: &str| ExecReply::Refuse {
            code,
            body: json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}),
        };
        match r.params("container").first().copied() {
            Some("gone") => status(404, "NotFound", "pods \"api-1\" not found"),
            Some("locked") => status(
                403,
                "Forbidden",
                "pods \"api-1\" is forbidden: User \"system:serviceaccount:medic:medic\" cannot create resource \"pods/exec\"",
            ),
            _ => status(400, "BadRequest", "container nope is not valid for pod api-1"),
        }
    })
    .await;
    let with_container = |c: &str| Operation::Exec {
        namespace: "shop".into(),
        pod: "api-1".into(),
        container: c.into(),
        command: vec!["true".into()],
        timeout_seconds: 5,
        max_output_bytes: 100,
    };
    let err = apply(&mock, &with_container("gone")).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::NotFound(w) if w == "pod/shop/api-1"),
        "{err:?}"
    );
    let err = apply(&mock, &with_container("locked")).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Forbidden { message, .. } if message.contains("pods/exec")),
        "{err:?}"
    );
    let err = apply(&mock, &with_container("nope")).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Api { code: 400, message, .. } if message == "container nope is not valid for pod api-1"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_command_that_cannot_run_is_an_error() {
    let mock = ExecMock::start(|_| {
        run(
            "v4.channel.k8s.io",
            "",
            "",
            Some(
                json!({"metadata": {}, "status": "Failure", "reason": "InternalError", "code": 500,
                "message": "OCI runtime exec failed: exec: \"jcmd\": executable file not found in $PATH"}),
            ),
        )
    })
    .await;
    let err = apply(&mock, &exec_op(30, 100)).await.unwrap_err();
    assert!(
        matches!(&err, ClusterError::Api { code: 500, message, .. }
            if message == "exec in pod/shop/api-1 -c api: OCI runtime exec failed: exec: \"jcmd\": executable file not found in $PATH"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_stream_closed_without_status_is_said_so() {
    let mock = ExecMock::start(|_| run("v4.channel.k8s.io", "ok\n", "", None)).await;
    let result = apply(&mock, &exec_op(30, 100)).await.unwrap();
    assert_eq!(
        result.message,
        "exec in pod/shop/api-1 -c api ended without an exit status"
    );
    assert_eq!(result.output.as_deref(), Some("ok\n"));
}

#[tokio::test]
async fn a_command_that_outlives_its_timeout_is_given_up() {
    let mock = ExecMock::start(|_| ExecReply::Hang).await;
    let started = std::time::Instant::now();
    let err = apply(&mock, &exec_op(1, 100)).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(
        matches!(&err, ClusterError::Api { code: 504, message, .. } if message.contains("no exit status within 1s")),
        "{err:?}"
    );
}
