//! Tests of the generic actions against the simulated cluster: `patch_resource`,
//! `exec_command` and `collect_diagnostics` — the exact operations, diffs and artifacts,
//! every documented refusal, the state (or answer) after the plan is applied, and the
//! full dry-run rendering at a fixed time.

use serde_json::{Value, json};

use super::test_support::*;
use crate::cluster::{ClusterError, Kind, ObjectRef, Operation, PatchBody};
use crate::incident::TargetKind;

fn configmap(name: &str) -> ObjectRef {
    shop("ConfigMap", name)
}

fn widget() -> ObjectRef {
    ObjectRef {
        kind: Kind::from_type("example.com/v1", "Widget"),
        namespace: Some("shop".into()),
        name: "gadget".into(),
    }
}

// ---------------------------------------------------------------------------------------
// patch_resource
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn patch_resource_merges_into_an_allowed_object_guarded_by_its_version() {
    let f = PODS.alert_on(TargetKind::Deployment, "api");
    let plan = f
        .plan(&action(
            "patch_resource",
            json!({"kind": "ConfigMap", "name": "api-flags", "patch": {"data": {"FEATURE_X": "off"}}}),
        ))
        .await
        .unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: configmap("api-flags"),
            subresource: None,
            patch: PatchBody::Merge(json!({"data": {"FEATURE_X": "off"}, "metadata": {"resourceVersion": "700"}})),
        }]
    );
    assert_eq!(plan.target, Some(configmap("api-flags")));
    assert_eq!(plan.summary, "apply a merge-patch to configmap/shop/api-flags");
    assert_eq!(
        plan.notes,
        [
            "the patch applies only to the version read while planning (resourceVersion 700): if the object changes first, the API refuses it"
        ]
    );
    assert!(
        plan.changes[0].diff.contains("-  FEATURE_X: on\n+  FEATURE_X: off\n"),
        "{}",
        plan.changes[0].diff
    );

    f.apply(&plan).await;
    let cm = f.get(&configmap("api-flags")).await.unwrap();
    assert_eq!(cm.0["data"], json!({"FEATURE_X": "off", "TIMEOUT": "30s"}));
    // Applying the same plan again meets another version: refused, not applied twice.
    match f.try_apply(&plan).await {
        Err(ClusterError::Conflict { .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn patch_resource_json_and_strategic_patches_and_custom_resources() {
    let f = PODS.alert_on(TargetKind::Deployment, "api");
    let cm = configmap("api-flags");
    let plan = f
        .plan_on(
            &action(
                "patch_resource",
                json!({"patch_type": "json", "patch": [{"op": "remove", "path": "/data/TIMEOUT"}]}),
            ),
            &cm,
        )
        .await
        .unwrap();
    assert_eq!(
        plan.operations[0],
        Operation::Patch {
            target: cm.clone(),
            subresource: None,
            patch: PatchBody::Json(json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "700"},
                {"op": "remove", "path": "/data/TIMEOUT"},
            ])),
        }
    );
    assert_eq!(plan.summary, "apply a json-patch to configmap/shop/api-flags");
    f.apply(&plan).await;
    assert_eq!(f.get(&cm).await.unwrap().0["data"], json!({"FEATURE_X": "on"}));

    let plan = f
        .plan(&action(
            "patch_resource",
            json!({"kind": "Widget", "api_version": "example.com/v1", "name": "gadget",
                   "patch_type": "strategic", "patch": {"spec": {"size": 5}}}),
        ))
        .await
        .unwrap();
    assert_eq!(plan.target, Some(widget()));
    assert_eq!(plan.summary, "apply a strategic-merge-patch to widget/shop/gadget");
    assert!(
        plan.changes[0].diff.contains("-  size: 3\n+  size: 5\n"),
        "{}",
        plan.changes[0].diff
    );
    f.apply(&plan).await;
    assert_eq!(
        f.get(&widget()).await.unwrap().0["spec"],
        json!({"size": 5, "color": "blue"})
    );
}

#[tokio::test]
async fn patch_resource_refusals() {
    let f = PODS.alert_on(TargetKind::Deployment, "api");
    let patch = |params: Value| action("patch_resource", params);
    let merge = json!({"data": {"a": "b"}});

    let (target, reason) = not_applicable(f.plan(&patch(json!({"patch": {"spec": {"replicas": 3}}}))).await);
    assert_eq!(target, "deployment/shop/api");
    assert_eq!(
        reason,
        "apps/Deployment is not in actions.patchable_kinds (allowed: ConfigMap, example.com/Widget)"
    );
    let mut allow_all = PODS.alert_on(TargetKind::Deployment, "api");
    allow_all.settings.patchable_kinds.push("Secret".into());
    let (target, reason) = not_applicable(
        allow_all
            .plan(&patch(
                json!({"kind": "Secret", "name": "api-token", "patch": {"data": {"token": "eA=="}}}),
            ))
            .await,
    );
    assert_eq!(target, "secret/shop/api-token");
    assert_eq!(
        reason,
        "patch_resource never patches Secrets: their values would pass through plans, logs and the store"
    );
    let mut none = PODS.alert_on(TargetKind::Deployment, "api");
    none.settings.patchable_kinds.clear();
    let (_, reason) = not_applicable(
        none.plan(&patch(
            json!({"kind": "ConfigMap", "name": "api-flags", "patch": merge}),
        ))
        .await,
    );
    assert_eq!(
        reason,
        "ConfigMap is not patchable: actions.patchable_kinds is empty, so patch_resource is disabled"
    );

    let (_, reason) = not_applicable(
        f.plan(&patch(json!({"kind": "ConfigMap", "name": "missing", "patch": merge})))
            .await,
    );
    assert_eq!(reason, "configmap not found");

    let invalid = |params: Value| {
        let f = &f;
        async move { invalid_params(f.plan(&patch(params)).await) }
    };
    assert_eq!(
        invalid(json!({"kind": "ConfigMap", "patch": merge})).await,
        (
            "params.name".to_string(),
            "give the name of the ConfigMap to patch (the target is not one)".to_string()
        )
    );
    assert_eq!(
        invalid(json!({"kind": "Gizmo", "name": "x", "patch": merge})).await,
        (
            "params.api_version".to_string(),
            "Gizmo is not a kind medic knows by heart: give its apiVersion (e.g. example.com/v1)".to_string()
        )
    );
    assert_eq!(
        invalid(json!({"kind": "ConfigMap", "name": "api-flags", "patch": {"data": {"FEATURE_X": "on"}}})).await,
        (
            "params.patch".to_string(),
            "changes nothing on configmap/shop/api-flags".to_string()
        )
    );
    assert_eq!(
        invalid(json!({"kind": "ConfigMap", "name": "api-flags", "patch_type": "json",
                       "patch": [{"op": "remove", "path": "/data/NOPE"}]}))
        .await
        .0,
        "params.patch"
    );
    let (field, message) = invalid(json!({"kind": "ConfigMap", "name": "api-flags", "patch_type": "json",
                                          "patch": [{"op": "test", "path": "/data/FEATURE_X", "value": "off"}]}))
    .await;
    assert_eq!(field, "params.patch");
    assert!(
        message.starts_with("does not apply to configmap/shop/api-flags: "),
        "{message}"
    );
    assert_eq!(
        invalid(json!({"kind": "ConfigMap", "name": "api-flags", "patch": {"metadata": {"name": "other"}}})).await,
        (
            "params.patch".to_string(),
            "would turn configmap/shop/api-flags into configmap/shop/other: a patch cannot change an object's kind, name or namespace".to_string()
        )
    );
    assert_eq!(
        invalid(json!({"kind": "ConfigMap", "name": "api-flags", "patch_type": "json", "patch": {"data": {}}})).await,
        (
            "params.patch".to_string(),
            "a JSON patch (patch_type json) is a list of operations, found an object".to_string()
        )
    );
    let mut no_target = PODS.alert_on(TargetKind::Deployment, "api");
    no_target.incident.target = None;
    let (target, reason) = not_applicable(no_target.plan(&patch(json!({"patch": merge}))).await);
    assert_eq!(target, "no target");
    assert!(reason.starts_with("neither the parameters"), "{reason}");
}

#[tokio::test]
async fn patch_resource_renders() {
    let f = PODS.alert_on(TargetKind::Deployment, "api");
    let plan = f
        .plan(&action(
            "patch_resource",
            json!({"kind": "ConfigMap", "name": "api-flags", "patch": {"data": {"FEATURE_X": "off", "RETRIES": "3"}}}),
        ))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
patch_resource: apply a merge-patch to configmap/shop/api-flags
  PATCH configmap/shop/api-flags (merge-patch)
  note: the patch applies only to the version read while planning (resourceVersion 700): if the object changes first, the API refuses it

--- configmap/shop/api-flags (live)
+++ configmap/shop/api-flags (after medic)
@@ -1,6 +1,7 @@
 apiVersion: v1
 data:
-  FEATURE_X: on
+  FEATURE_X: off
+  RETRIES: '3'
   TIMEOUT: 30s
 kind: ConfigMap
 metadata:
"
    );
}

// ---------------------------------------------------------------------------------------
// exec_command
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn exec_command_runs_the_allow_listed_argv_and_captures_its_output() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f
        .plan(&action("exec_command", json!({"command": "thread-dump"})))
        .await
        .unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Exec {
            namespace: "shop".into(),
            pod: "api-6b9c4-x7k2p".into(),
            container: "api".into(),
            command: vec!["jcmd".into(), "1".into(), "Thread.print".into()],
            timeout_seconds: 30,
            max_output_bytes: 65_536,
        }]
    );
    assert!(plan.changes.is_empty());
    let results = f.apply(&plan).await;
    assert_eq!(results[0].message, "exec in pod/shop/api-6b9c4-x7k2p -c api exited 0");
    assert_eq!(
        results[0].output.as_deref(),
        Some("Full thread dump OpenJDK 64-Bit Server VM:\n\"main\" #1 prio=5 RUNNABLE\n")
    );

    // A command that fails is still answered; its exit code is in the message.
    let plan = f
        .plan(&action("exec_command", json!({"command": "db-check"})))
        .await
        .unwrap();
    let Operation::Exec {
        timeout_seconds,
        max_output_bytes,
        ..
    } = &plan.operations[0]
    else {
        panic!("expected an exec");
    };
    assert_eq!((*timeout_seconds, *max_output_bytes), (5, 4096));
    let results = f.apply(&plan).await;
    assert_eq!(results[0].message, "exec in pod/shop/api-6b9c4-x7k2p -c api exited 2");
    assert_eq!(results[0].output.as_deref(), Some("db:5432 - no response\n"));

    // A command the container does not have fails as it would there.
    let plan = f
        .plan(&action("exec_command", json!({"command": "heap-histogram"})))
        .await
        .unwrap();
    let results = f.apply(&plan).await;
    assert_eq!(results[0].message, "exec in pod/shop/api-6b9c4-x7k2p -c api exited 127");
    assert_eq!(
        results[0].output.as_deref(),
        Some("exec: \"jmap\": executable file not found in $PATH\n")
    );
}

#[tokio::test]
async fn exec_command_chooses_the_container_like_increase_resources() {
    let f = PODS.alert_on(TargetKind::Pod, "web-7d9f8-abcde");
    let (target, reason) = not_applicable(f.plan(&action("exec_command", json!({"command": "thread-dump"}))).await);
    assert_eq!(target, "pod/shop/web-7d9f8-abcde");
    assert_eq!(
        reason,
        "it has several containers (app, proxy) and neither the parameters nor the alert name one; give params.container"
    );
    let plan = f
        .plan(&action(
            "exec_command",
            json!({"command": "thread-dump", "container": "proxy"}),
        ))
        .await
        .unwrap();
    assert!(matches!(&plan.operations[0], Operation::Exec { container, .. } if container == "proxy"));
    let (field, message) = invalid_params(
        f.plan(&action(
            "exec_command",
            json!({"command": "thread-dump", "container": "sidecar"}),
        ))
        .await,
    );
    assert_eq!(field, "params.container");
    assert_eq!(
        message,
        "pod/shop/web-7d9f8-abcde has no container \"sidecar\" (containers: app, proxy)"
    );

    let named = PODS
        .alert_on(TargetKind::Pod, "web-7d9f8-abcde")
        .naming_container("app");
    let plan = named
        .plan(&action("exec_command", json!({"command": "thread-dump"})))
        .await
        .unwrap();
    assert!(matches!(&plan.operations[0], Operation::Exec { container, .. } if container == "app"));
    // An alert about the workload names the container of its pods; one about another pod does not.
    let web = shop("Pod", "web-7d9f8-fghij");
    let on_workload = PODS.alert_on(TargetKind::Deployment, "web").naming_container("proxy");
    let plan = on_workload
        .plan_on(&action("exec_command", json!({"command": "thread-dump"})), &web)
        .await
        .unwrap();
    assert!(matches!(&plan.operations[0], Operation::Exec { container, .. } if container == "proxy"));
    let (_, reason) = not_applicable(
        named
            .plan_on(&action("exec_command", json!({"command": "thread-dump"})), &web)
            .await,
    );
    assert!(reason.starts_with("it has several containers (app, proxy)"), "{reason}");
    let wrong = PODS.alert_on(TargetKind::Pod, "web-7d9f8-abcde").naming_container("db");
    let (_, reason) = not_applicable(
        wrong
            .plan(&action("exec_command", json!({"command": "thread-dump"})))
            .await,
    );
    assert_eq!(
        reason,
        "the alert names container \"db\", which the pod does not have (containers: app, proxy); give params.container"
    );
}

#[tokio::test]
async fn exec_command_refusals() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let (field, message) = invalid_params(f.plan(&action("exec_command", json!({"command": "rm -rf /"}))).await);
    assert_eq!(field, "params.command");
    assert_eq!(
        message,
        "\"rm -rf /\" is not a command of actions.exec_commands (allowed: broken, db-check, heap-histogram, thread-dump)"
    );
    let mut disabled = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    disabled.settings.exec_commands.clear();
    let (_, message) = invalid_params(
        disabled
            .plan(&action("exec_command", json!({"command": "thread-dump"})))
            .await,
    );
    assert_eq!(
        message,
        "\"thread-dump\" is not allowed: actions.exec_commands is empty, so exec_command is disabled"
    );
    let (_, message) = invalid_params(f.plan(&action("exec_command", json!({"command": ""}))).await);
    assert_eq!(
        message,
        "must name a command of actions.exec_commands, found an empty name"
    );
    let (_, reason) = not_applicable(f.plan(&action("exec_command", json!({"command": "broken"}))).await);
    assert_eq!(reason, "actions.exec_commands.broken has an empty command");

    let on = |name: &'static str| {
        let f = &f;
        async move {
            not_applicable(
                f.plan_on(
                    &action("exec_command", json!({"command": "thread-dump"})),
                    &shop("Pod", name),
                )
                .await,
            )
            .1
        }
    };
    assert_eq!(
        on("pending").await,
        "the pod is Pending, not Running: there is no process to exec into"
    );
    assert_eq!(
        on("done").await,
        "the pod is Succeeded, not Running: there is no process to exec into"
    );
    assert_eq!(
        on("crashing").await,
        "container app is not running (waiting: CrashLoopBackOff)"
    );
    assert_eq!(
        on("kube-proxy-worker-1").await,
        "container kube-proxy has no status yet: it has not started"
    );
    assert_eq!(on("gone").await, "pod not found");
    let (target, reason) = not_applicable(
        f.plan_on(
            &action("exec_command", json!({"command": "thread-dump"})),
            &shop("Deployment", "api"),
        )
        .await,
    );
    assert_eq!(
        (target.as_str(), reason.as_str()),
        ("deployment/shop/api", "exec_command acts on Pod, not on a Deployment")
    );
}

#[tokio::test]
async fn exec_command_renders() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f
        .plan(&action("exec_command", json!({"command": "thread-dump"})))
        .await
        .unwrap();
    assert_eq!(
        plan.render(),
        "\
exec_command: run thread-dump (jcmd 1 Thread.print) in container api of pod/shop/api-6b9c4-x7k2p
  EXEC pod/shop/api-6b9c4-x7k2p -c api -- jcmd 1 Thread.print
  note: the command is run as configured, without a shell, and changes no Kubernetes object
  note: its output is kept up to 65536 bytes; it is given up after 30s
"
    );
}

// ---------------------------------------------------------------------------------------
// collect_diagnostics
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn collect_diagnostics_snapshots_a_pod_into_the_plan() {
    let f = PODS
        .alert_on(TargetKind::Pod, "api-6b9c4-x7k2p")
        .naming_container("api");
    let plan = f.plan(&action("collect_diagnostics", json!({}))).await.unwrap();
    assert!(plan.is_noop());
    assert!(plan.changes.is_empty());
    let names: Vec<&str> = plan.artifacts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["describe.txt", "log.api-6b9c4-x7k2p.api.txt"]);
    assert_eq!(
        plan.artifacts[1].content,
        "started\nERROR connection refused: db:5432\n"
    );
    let describe = &plan.artifacts[0].content;
    for part in [
        "diagnostics of pod/shop/api-6b9c4-x7k2p, collected by medic at 2025-03-01T12:00:00Z\n\
         incident: KubePodCrashLooping (fingerprint 0f1e2d3c4b5a6978): Pod is crash looping.\n\n== object ==\napiVersion: v1\nkind: Pod\n",
        "\n== owners ==\nReplicaSet api-6b9c4\nDeployment api\n",
        "\n== workload ==\ndeployment/shop/api: 2 replicas, 2 ready, 2 available, revision 1, progressing: NewReplicaSetAvailable\n",
        "\n== pods ==\napi-6b9c4-x7k2p: Running, ready, on worker-1\n  container api: ready, 3 restarts, image shop/api:1.4\n",
        "\n== node ==\nworker-1: Ready, schedulable (Ready=True)\n",
        "\n== events ==\n2025-03-01T11:49:00Z Warning BackOff: Back-off restarting failed container api (×3)\n\
         2025-03-01T11:50:00Z Normal Started: Started container api (×4)\n",
        "\n== logs ==\napi-6b9c4-x7k2p/api (current instance, 42 bytes): log.api-6b9c4-x7k2p.api.txt\n",
    ] {
        assert!(describe.contains(part), "missing {part:?} in:\n{describe}");
    }
    assert!(!describe.contains("== not read =="), "{describe}");
    assert_eq!(
        plan.notes,
        ["the snapshot is kept with the outcome; nothing in the cluster changes"]
    );
    let stored: super::Plan = serde_json::from_value(serde_json::to_value(&plan).unwrap()).unwrap();
    assert_eq!(stored.artifacts, plan.artifacts, "artifacts survive the store's JSON");
}

#[tokio::test]
async fn collect_diagnostics_into_a_configmap() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f
        .plan(&action("collect_diagnostics", json!({"configmap": true})))
        .await
        .unwrap();
    let Operation::Create { object } = &plan.operations[0] else {
        panic!("expected a create, got {:?}", plan.operations);
    };
    assert_eq!(
        object.reference(),
        configmap("medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c")
    );
    assert_eq!(
        object.0["metadata"]["labels"],
        json!({"app.kubernetes.io/managed-by": "medic", "medic.dev/fingerprint": "0f1e2d3c4b5a6978",
               "medic.dev/alertname": "KubePodCrashLooping", "medic.dev/diagnostics": "true"})
    );
    assert_eq!(
        object.0["metadata"]["annotations"]["medic.dev/target"],
        "pod/shop/api-6b9c4-x7k2p"
    );
    for a in &plan.artifacts {
        assert_eq!(object.0["data"][&a.name], json!(a.content));
    }
    assert!(
        plan.changes[0].diff.contains("+  describe.txt: <"),
        "{}",
        plan.changes[0].diff
    );
    assert!(
        !plan.changes[0].diff.contains("ERROR connection refused"),
        "contents are elided"
    );

    f.apply(&plan).await;
    let stored = f
        .get(&configmap("medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c"))
        .await
        .expect("the ConfigMap is created");
    assert_eq!(
        stored.0["data"]["log.api-6b9c4-x7k2p.api.txt"],
        "started\nERROR connection refused: db:5432\n"
    );
    let (_, reason) = not_applicable(f.plan(&action("collect_diagnostics", json!({"configmap": true}))).await);
    assert_eq!(
        reason,
        "ConfigMap medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c already exists: this incident's diagnostics were already kept; collect without params.configmap"
    );
}

#[tokio::test]
async fn collect_diagnostics_of_a_node_a_workload_and_other_kinds() {
    let f = PODS.alert_on(TargetKind::Node, "worker-2");
    let plan = f
        .plan(&action("collect_diagnostics", json!({"configmap": true})))
        .await
        .unwrap();
    assert_eq!(
        plan.operations[0].target(),
        ObjectRef::namespaced("ConfigMap", "default", "medic-diagnostics-worker-2-0f1e2d3c")
    );
    let describe = &plan.artifacts[0].content;
    assert!(
        describe.contains("\n== node ==\nworker-2: not Ready, schedulable (Ready=Unknown (NodeStatusUnknown))\n"),
        "{describe}"
    );
    assert!(
        describe.contains("db-0: Running, not ready, terminating, on worker-2\n"),
        "{describe}"
    );

    let plan = f
        .plan_on(&action("collect_diagnostics", json!({})), &shop("Deployment", "web"))
        .await
        .unwrap();
    let describe = &plan.artifacts[0].content;
    assert!(describe.contains("web-7d9f8-abcde: Running, ready, on worker-1\n  container app: ready, 0 restarts, image shop/web:2.0\n  container proxy:"), "{describe}");
    assert_eq!(plan.artifacts.len(), 1, "healthy containers: no log tails");

    let plan = f
        .plan_on(&action("collect_diagnostics", json!({})), &shop("Service", "api"))
        .await
        .unwrap();
    let describe = &plan.artifacts[0].content;
    assert!(
        describe.starts_with("diagnostics of service/shop/api, collected by medic at 2025-03-01T12:00:00Z\n"),
        "{describe}"
    );
    assert!(describe.contains("\n== events ==\nnone\n"), "{describe}");
    assert!(!describe.contains("== pods =="), "{describe}");
}

#[tokio::test]
async fn collect_diagnostics_refusals() {
    let f = PODS.alert_on(TargetKind::Pod, "gone");
    let (target, reason) = not_applicable(f.plan(&action("collect_diagnostics", json!({}))).await);
    assert_eq!((target.as_str(), reason.as_str()), ("pod/shop/gone", "pod not found"));
    let mut none = PODS.alert_on(TargetKind::Pod, "gone");
    none.incident.target = None;
    let (target, reason) = not_applicable(none.plan(&action("collect_diagnostics", json!({}))).await);
    assert_eq!(target, "no target");
    assert_eq!(
        reason,
        "neither the decision nor the incident names an object to diagnose"
    );
    let err = super::Action::from_parts("collect_diagnostics", json!({"configmap": "yes"})).unwrap_err();
    assert!(
        err.to_string().contains("params.configmap") || err.to_string().contains("configmap"),
        "{err}"
    );
}

#[tokio::test]
async fn collect_diagnostics_renders() {
    let f = PODS.alert_on(TargetKind::Pod, "api-6b9c4-x7k2p");
    let plan = f
        .plan(&action("collect_diagnostics", json!({"configmap": true})))
        .await
        .unwrap();
    let size = |name: &str| {
        plan.artifacts
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.content.len())
            .unwrap()
    };
    let total: usize = plan.artifacts.iter().map(|a| a.name.len() + a.content.len()).sum();
    assert_eq!(
        plan.render(),
        format!(
            "\
collect_diagnostics: collect diagnostics of pod/shop/api-6b9c4-x7k2p: the object, 1 pod, 2 events, 1 log tail, kept in ConfigMap medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c
  CREATE configmap/shop/medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c
  note: ConfigMap medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c holds the snapshot ({total} bytes) under the artifacts' names; delete it when done
  artifact: describe.txt ({} bytes)
  artifact: log.api-6b9c4-x7k2p.api.txt (42 bytes)

--- configmap/shop/medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c (absent)
+++ configmap/shop/medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c (created by medic)
@@ -0,0 +1,19 @@
+apiVersion: v1
+data:
+  describe.txt: <{} bytes>
+  log.api-6b9c4-x7k2p.api.txt: <42 bytes>
+kind: ConfigMap
+metadata:
+  annotations:
+    medic.dev/alertname: KubePodCrashLooping
+    medic.dev/collected-at: 2025-03-01T12:00:00Z
+    medic.dev/starts-at: 2025-03-01T12:00:00Z
+    medic.dev/summary: Pod is crash looping.
+    medic.dev/target: pod/shop/api-6b9c4-x7k2p
+  labels:
+    app.kubernetes.io/managed-by: medic
+    medic.dev/alertname: KubePodCrashLooping
+    medic.dev/diagnostics: 'true'
+    medic.dev/fingerprint: 0f1e2d3c4b5a6978
+  name: medic-diagnostics-api-6b9c4-x7k2p-0f1e2d3c
+  namespace: shop
",
            size("describe.txt"),
            size("describe.txt")
        )
    );
}
