//! Tests of `expand_pvc`, `retry_job`, `suspend_cronjob`, `resume_cronjob` and
//! `run_job` against the simulated cluster: the exact operations and diffs planned,
//! every refusal, the cluster's state after the plan is applied, the dry-run text, and
//! the example Job templates shipped in `config/jobs/`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::settings::JobTemplate;
use super::test_support::*;
use super::{ActionError, ActionSettings, quantity::Quantity};
use crate::cluster::{Operation, PatchBody};
use crate::incident::TargetKind;

// ---------------------------------------------------------------------------------------
// expand_pvc
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn expand_pvc_raises_the_request_and_the_capacity_follows() {
    let f = WORKLOADS.alert_on(TargetKind::PersistentVolumeClaim, "uploads");
    let plan = f.plan(&action("expand_pvc", json!({"factor": 1.5}))).await.unwrap();
    let claim = shop("PersistentVolumeClaim", "uploads");
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: claim.clone(),
            subresource: None,
            patch: PatchBody::Merge(json!({"spec": {"resources": {"requests": {"storage": "15Gi"}}}})),
        }]
    );
    assert_eq!(
        plan.summary,
        "expand persistentvolumeclaim/shop/uploads from 10Gi to 15Gi"
    );
    assert!(
        plan.changes[0]
            .diff
            .contains("-      storage: 10Gi\n+      storage: 15Gi\n"),
        "{}",
        plan.changes[0].diff
    );

    f.apply(&plan).await;
    let after = f.get(&claim).await.unwrap();
    assert_eq!(after.0["spec"]["resources"]["requests"]["storage"], "15Gi");
    assert_eq!(
        after.0["status"]["capacity"]["storage"], "15Gi",
        "the volume was resized"
    );

    // An absolute size; a claim without a class uses the default class.
    let scratch = shop("PersistentVolumeClaim", "scratch");
    let plan = f
        .plan_on(&action("expand_pvc", json!({"size": "8Gi"})), &scratch)
        .await
        .unwrap();
    assert_eq!(
        plan.notes[0],
        "StorageClass standard (provisioner ebs.csi.aws.com) allows expansion"
    );
    f.apply(&plan).await;
    assert_eq!(f.get(&scratch).await.unwrap().0["status"]["capacity"]["storage"], "8Gi");
}

#[tokio::test]
async fn expand_pvc_refusals() {
    let mut f = WORKLOADS.alert_on(TargetKind::PersistentVolumeClaim, "uploads");
    let on = |name: &str| shop("PersistentVolumeClaim", name);
    let grow = action("expand_pvc", json!({"factor": 2}));

    let (target, reason) = not_applicable(f.plan_on(&grow, &on("archive")).await);
    assert_eq!(target, "persistentvolumeclaim/shop/archive");
    assert_eq!(
        reason,
        "its StorageClass slow does not allow volume expansion (allowVolumeExpansion is not true)"
    );
    let (_, reason) = not_applicable(f.plan_on(&grow, &on("pending")).await);
    assert_eq!(reason, "it is Pending: only a bound claim can be expanded");
    let (_, reason) = not_applicable(f.plan_on(&grow, &on("resizing")).await);
    assert_eq!(
        reason,
        "a previous expansion is still in progress (condition FileSystemResizePending)"
    );
    let (_, reason) = not_applicable(f.plan_on(&grow, &on("static")).await);
    assert_eq!(
        reason,
        "its storageClassName is empty: a statically provisioned volume cannot be expanded through its claim"
    );
    let (_, reason) = not_applicable(f.plan_on(&grow, &on("gone")).await);
    assert_eq!(reason, "persistentvolumeclaim not found");
    let (_, reason) = not_applicable(f.plan_on(&grow, &shop("Deployment", "api")).await);
    assert_eq!(reason, "expand_pvc acts on PersistentVolumeClaim, not on a Deployment");

    assert_eq!(
        invalid_params(f.plan(&action("expand_pvc", json!({"size": "10Gi"}))).await),
        (
            "params.size".into(),
            "must be larger than the current request 10Gi (a claim cannot shrink), found 10Gi".into()
        )
    );
    assert_eq!(
        invalid_params(f.plan(&action("expand_pvc", json!({}))).await),
        ("params.size".into(), "give size or factor".into())
    );
    assert_eq!(
        invalid_params(
            f.plan(&action("expand_pvc", json!({"size": "20Gi", "factor": 2})))
                .await
        ),
        ("params.factor".into(), "give size or factor, not both".into())
    );
    assert_eq!(
        invalid_params(f.plan(&action("expand_pvc", json!({"factor": 0.5}))).await),
        ("params.factor".into(), "must be a number above 1, found 0.5".into())
    );
    assert_eq!(
        out_of_bounds(f.plan(&action("expand_pvc", json!({"factor": 5}))).await),
        (
            "params.factor".into(),
            "5".into(),
            "bounds.max_resource_factor is 4".into()
        )
    );
    assert_eq!(
        out_of_bounds(f.plan(&action("expand_pvc", json!({"size": "50Gi"}))).await),
        (
            "params.size".into(),
            "50Gi".into(),
            "bounds.max_resource_factor is 4 and this is 5.00 times the current request 10Gi".into()
        )
    );
    assert_eq!(
        out_of_bounds(f.plan(&action("expand_pvc", json!({"size": "20Ti"}))).await),
        ("params.size".into(), "20Ti".into(), "bounds.max_storage is 10Ti".into())
    );
    f.bounds.max_storage = Quantity::parse("16Gi").unwrap();
    assert_eq!(
        out_of_bounds(f.plan(&action("expand_pvc", json!({"factor": 2}))).await),
        (
            "params.factor".into(),
            "2 (storage 20Gi)".into(),
            "bounds.max_storage is 16Gi".into()
        )
    );

    // Without a default class, a claim without a class has none.
    let f = WORKLOADS.alert_on(TargetKind::PersistentVolumeClaim, "scratch");
    let unmark = Operation::Patch {
        target: crate::cluster::ObjectRef::cluster_scoped("StorageClass", "standard"),
        subresource: None,
        patch: PatchBody::Merge(json!({"metadata": {"annotations": {
            "storageclass.kubernetes.io/is-default-class": null}}})),
    };
    crate::cluster::Cluster::apply(&f.cluster, &unmark).await.unwrap();
    let (_, reason) = not_applicable(f.plan(&grow).await);
    assert_eq!(reason, "it names no StorageClass and the cluster has no default one");
}

#[tokio::test]
async fn expand_pvc_renders() {
    let f = WORKLOADS.alert_on(TargetKind::PersistentVolumeClaim, "uploads");
    let plan = f.plan(&action("expand_pvc", json!({"size": "20Gi"}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
expand_pvc: expand persistentvolumeclaim/shop/uploads from 10Gi to 20Gi
  PATCH persistentvolumeclaim/shop/uploads (merge-patch)
  note: StorageClass standard (provisioner ebs.csi.aws.com) allows expansion
  note: the volume plugin resizes the volume and its filesystem; status.capacity.storage (now 10Gi) shows 20Gi when it is done
  note: some volume plugins grow the filesystem only when a pod mounts the claim again
  note: a claim cannot be shrunk back: this cannot be undone

--- persistentvolumeclaim/shop/uploads (live)
+++ persistentvolumeclaim/shop/uploads (after medic)
@@ -10,7 +10,7 @@
   - ReadWriteOnce
   resources:
     requests:
-      storage: 10Gi
+      storage: 20Gi
   storageClassName: standard
   volumeName: pvc-uploads
 status:
"
    );
}

// ---------------------------------------------------------------------------------------
// retry_job
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn retry_job_creates_a_fresh_copy_under_the_next_free_name() {
    let f = WORKLOADS.alert_on(TargetKind::Job, "db-migrate");
    let plan = f.plan(&action("retry_job", json!({}))).await.unwrap();
    let job = created_by(&plan);
    assert_eq!(
        job.0,
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": "db-migrate-retry-2",
                "namespace": "shop",
                "labels": {
                    "app": "db-migrate",
                    "app.kubernetes.io/managed-by": "medic",
                    "medic.dev/alertname": "KubeJobFailed",
                    "medic.dev/fingerprint": "0f1e2d3c4b5a6978",
                },
                "annotations": {
                    "team": "payments",
                    "medic.dev/alertname": "KubeJobFailed",
                    "medic.dev/starts-at": "2025-03-01T12:00:00Z",
                    "medic.dev/summary": "Job failed to complete.",
                    "medic.dev/retry-of": "db-migrate",
                },
            },
            "spec": {
                "backoffLimit": 2,
                "completions": 1,
                "parallelism": 1,
                "template": {
                    "metadata": {"labels": {"app": "db-migrate"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "migrate", "image": "shop/migrate:7", "args": ["up"]}],
                    },
                },
            },
        })
    );
    assert_eq!(
        plan.summary,
        "re-create failed job/shop/db-migrate as job/shop/db-migrate-retry-2"
    );
    assert_eq!(plan.target, Some(shop("Job", "db-migrate")));

    f.apply(&plan).await;
    let retry = f
        .get(&shop("Job", "db-migrate-retry-2"))
        .await
        .expect("the retry exists");
    assert_eq!(
        retry.0["spec"]["template"], job.0["spec"]["template"],
        "same pod template"
    );
    assert!(retry.uid().is_some());
    assert!(
        f.get(&shop("Job", "db-migrate")).await.is_some(),
        "the failed Job is kept"
    );

    // A retry of the retry counts from the original name.
    let mut failed = retry.clone();
    failed.0["status"] =
        json!({"conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}]});
    let mark_failed = Operation::Patch {
        target: shop("Job", "db-migrate-retry-2"),
        subresource: Some("status".into()),
        patch: PatchBody::Merge(json!({"status": failed.0["status"]})),
    };
    crate::cluster::Cluster::apply(&f.cluster, &mark_failed).await.unwrap();
    let again = f
        .plan_on(&action("retry_job", json!({})), &shop("Job", "db-migrate-retry-2"))
        .await
        .unwrap();
    assert_eq!(created_by(&again).name(), "db-migrate-retry-3");
    assert_eq!(created_by(&again).annotation("medic.dev/retry-of"), Some("db-migrate"));
}

#[tokio::test]
async fn retry_job_keeps_the_cronjob_owner() {
    let f = WORKLOADS.alert_on(TargetKind::Job, "report-28990020");
    let plan = f.plan(&action("retry_job", json!({}))).await.unwrap();
    let job = created_by(&plan);
    assert_eq!(job.name(), "report-28990020-retry-1");
    assert_eq!(
        job.0["metadata"]["ownerReferences"],
        json!([{"apiVersion": "batch/v1", "kind": "CronJob", "name": "report", "uid": "uid-report",
                "controller": true, "blockOwnerDeletion": true}])
    );
    assert_eq!(job.0["spec"].get("selector"), None);
    assert_eq!(
        job.0["spec"]["template"]["metadata"],
        json!({}),
        "only generated labels were there"
    );
    assert_eq!(
        plan.notes,
        vec![
            "report-28990020 failed: DeadlineExceeded",
            "the retry has the same backoffLimit (0) and pod template",
            "it stays owned by CronJob report: it counts against its history limits and concurrencyPolicy",
            "report-28990020 is kept, with its pods and their logs, for inspection",
        ]
    );
    f.apply(&plan).await;
    assert!(f.get(&shop("Job", "report-28990020-retry-1")).await.is_some());
}

#[tokio::test]
async fn retry_job_refuses_a_job_that_has_not_failed() {
    let f = WORKLOADS.alert_on(TargetKind::Job, "nightly");
    let (target, reason) = not_applicable(f.plan(&action("retry_job", json!({}))).await);
    assert_eq!(target, "job/shop/nightly");
    assert_eq!(reason, "it completed successfully: there is nothing to retry");
    let (_, reason) = not_applicable(f.plan_on(&action("retry_job", json!({})), &shop("Job", "import")).await);
    assert_eq!(
        reason,
        "it has not failed and is still running (active pods: 1): a retry now would run it twice"
    );
    let (_, reason) = not_applicable(
        f.plan_on(&action("retry_job", json!({})), &shop("CronJob", "report"))
            .await,
    );
    assert_eq!(reason, "retry_job acts on Job, not on a CronJob");
    assert!(f.cluster.applied().is_empty());

    for (name, suspend) in [("queued", true), ("fresh", false)] {
        let job = json!({"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"suspend": suspend, "template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "x", "image": "busybox:1.36"}]}}}});
        let create = Operation::Create {
            object: crate::cluster::Object::new(job).unwrap(),
        };
        crate::cluster::Cluster::apply(&f.cluster, &create).await.unwrap();
    }
    let (_, reason) = not_applicable(f.plan_on(&action("retry_job", json!({})), &shop("Job", "queued")).await);
    assert_eq!(
        reason,
        "it has not failed: it is suspended (spec.suspend), so it has not run to the end"
    );
    let (_, reason) = not_applicable(f.plan_on(&action("retry_job", json!({})), &shop("Job", "fresh")).await);
    assert_eq!(reason, "it has not failed (no Failed condition)");
}

#[tokio::test]
async fn retry_job_shortens_a_long_name() {
    let f = WORKLOADS.alert_on(TargetKind::Job, "db-migrate");
    let long = "a".repeat(60);
    let mut job = f.get(&shop("Job", "db-migrate")).await.unwrap();
    job.0["metadata"] = json!({"name": long, "namespace": "shop"});
    crate::cluster::Cluster::apply(&f.cluster, &Operation::Create { object: job })
        .await
        .unwrap();
    let status = Operation::Patch {
        target: shop("Job", &long),
        subresource: Some("status".into()),
        patch: PatchBody::Merge(json!({"status": {"conditions": [{"type": "Failed", "status": "True"}]}})),
    };
    crate::cluster::Cluster::apply(&f.cluster, &status).await.unwrap();
    let plan = f
        .plan_on(&action("retry_job", json!({})), &shop("Job", &long))
        .await
        .unwrap();
    let name = created_by(&plan).name().to_string();
    assert_eq!(name, format!("{}-retry-1", "a".repeat(55)));
    assert_eq!(name.len(), 63);
    f.apply(&plan).await;
}

#[tokio::test]
async fn retry_job_renders() {
    let f = WORKLOADS.alert_on(TargetKind::Job, "db-migrate");
    let plan = f.plan(&action("retry_job", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
retry_job: re-create failed job/shop/db-migrate as job/shop/db-migrate-retry-2
  CREATE job/shop/db-migrate-retry-2
  note: db-migrate failed: BackoffLimitExceeded: Job has reached the specified backoff limit
  note: the retry has the same backoffLimit (2) and pod template
  note: db-migrate is kept, with its pods and their logs, for inspection

--- job/shop/db-migrate-retry-2 (absent)
+++ job/shop/db-migrate-retry-2 (created by medic)
@@ -0,0 +1,31 @@
+apiVersion: batch/v1
+kind: Job
+metadata:
+  annotations:
+    medic.dev/alertname: KubeJobFailed
+    medic.dev/retry-of: db-migrate
+    medic.dev/starts-at: 2025-03-01T12:00:00Z
+    medic.dev/summary: Job failed to complete.
+    team: payments
+  labels:
+    app: db-migrate
+    app.kubernetes.io/managed-by: medic
+    medic.dev/alertname: KubeJobFailed
+    medic.dev/fingerprint: 0f1e2d3c4b5a6978
+  name: db-migrate-retry-2
+  namespace: shop
+spec:
+  backoffLimit: 2
+  completions: 1
+  parallelism: 1
+  template:
+    metadata:
+      labels:
+        app: db-migrate
+    spec:
+      containers:
+      - args:
+        - up
+        image: shop/migrate:7
+        name: migrate
+      restartPolicy: Never
"
    );
}

// ---------------------------------------------------------------------------------------
// suspend_cronjob / resume_cronjob
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn suspend_and_resume_a_cronjob() {
    let f = WORKLOADS.alert_on(TargetKind::CronJob, "report");
    let plan = f.plan(&action("suspend_cronjob", json!({}))).await.unwrap();
    let report = shop("CronJob", "report");
    assert_eq!(
        plan.operations,
        vec![Operation::Patch {
            target: report.clone(),
            subresource: None,
            patch: PatchBody::Merge(json!({"spec": {"suspend": true}})),
        }]
    );
    assert_eq!(plan.summary, "suspend cronjob/shop/report");
    assert_eq!(
        plan.notes,
        vec![
            "no new Job starts on its schedule (20 * * * *) until resume_cronjob resumes it",
            "Jobs already running are not stopped: report-28990080",
        ]
    );
    f.apply(&plan).await;
    assert_eq!(f.get(&report).await.unwrap().0["spec"]["suspend"], true);
    let (target, reason) = not_applicable(f.plan(&action("suspend_cronjob", json!({}))).await);
    assert_eq!(target, "cronjob/shop/report");
    assert_eq!(reason, "it is already suspended");

    let plan = f.plan(&action("resume_cronjob", json!({}))).await.unwrap();
    assert_eq!(
        patch_of(&plan).2,
        &PatchBody::Merge(json!({"spec": {"suspend": false}}))
    );
    assert_eq!(
        plan.notes,
        vec![
            "Jobs start again on its schedule (20 * * * *)",
            "a run missed while suspended starts at once (it has no startingDeadlineSeconds)",
        ]
    );
    f.apply(&plan).await;
    assert_eq!(f.get(&report).await.unwrap().0["spec"]["suspend"], false);
    let (_, reason) = not_applicable(f.plan(&action("resume_cronjob", json!({}))).await);
    assert_eq!(reason, "it is not suspended");
    let (_, reason) = not_applicable(
        f.plan_on(&action("suspend_cronjob", json!({})), &shop("Job", "nightly"))
            .await,
    );
    assert_eq!(reason, "suspend_cronjob acts on CronJob, not on a Job");
}

#[tokio::test]
async fn suspend_and_resume_render() {
    let f = WORKLOADS.alert_on(TargetKind::CronJob, "cleanup");
    let plan = f.plan(&action("resume_cronjob", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
resume_cronjob: resume cronjob/shop/cleanup
  PATCH cronjob/shop/cleanup (merge-patch)
  note: Jobs start again on its schedule (0 3 * * *)
  note: a run missed while suspended starts at once if it was due less than 300s ago (startingDeadlineSeconds)

--- cronjob/shop/cleanup (live)
+++ cronjob/shop/cleanup (after medic)
@@ -16,4 +16,4 @@
           restartPolicy: Never
   schedule: 0 3 * * *
   startingDeadlineSeconds: 300
-  suspend: true
+  suspend: false
"
    );
    let f = WORKLOADS.alert_on(TargetKind::CronJob, "report");
    let plan = f.plan(&action("suspend_cronjob", json!({}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
suspend_cronjob: suspend cronjob/shop/report
  PATCH cronjob/shop/report (merge-patch)
  note: no new Job starts on its schedule (20 * * * *) until resume_cronjob resumes it
  note: Jobs already running are not stopped: report-28990080

--- cronjob/shop/report (live)
+++ cronjob/shop/report (after medic)
@@ -15,6 +15,7 @@
             name: report
           restartPolicy: OnFailure
   schedule: 20 * * * *
+  suspend: true
 status:
   active:
   - apiVersion: batch/v1
"
    );
}

// ---------------------------------------------------------------------------------------
// run_job
// ---------------------------------------------------------------------------------------

/// A small template: a shell one-liner with alert references, a service account, a
/// volume.
const VACUUM: &str = r#"
description: VACUUM ANALYZE the table named by the alert
image: postgres:16
command: [psql, -c]
args: ["VACUUM (ANALYZE) {{ labels.table }}"]
env:
  PGHOST: "{{ labels.service }}.{{ namespace }}.svc"
  PGDATABASE: "{{ labels.datname }}"
service_account: maintenance
volumes:
  - {name: pgpass, secret: {secretName: pgpass, defaultMode: 256}}
volume_mounts:
  - {name: pgpass, mountPath: /etc/pgpass, readOnly: true}
"#;

fn with_templates(mut f: Fixture, templates: &[(&str, &str)]) -> Fixture {
    let job_templates: BTreeMap<String, JobTemplate> = templates
        .iter()
        .map(|(name, yaml)| {
            let t: JobTemplate = serde_yaml_ng::from_str(yaml).expect("the template parses");
            (name.to_string(), t)
        })
        .collect();
    f.settings = ActionSettings {
        job_templates,
        ..ActionSettings::default()
    };
    f
}

/// An alert about a database table, without a Kubernetes target.
fn table_alert() -> Fixture {
    let mut f = WORKLOADS.alert_on(TargetKind::Pod, "unused");
    f.incident.target = None;
    f.incident.alertname = "PostgresqlTableBloat".into();
    f.incident.labels = [
        ("namespace", "shop"),
        ("service", "orders-db"),
        ("datname", "orders"),
        ("table", "line_items"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    with_templates(f, &[("vacuum", VACUUM)])
}

#[tokio::test]
async fn run_job_creates_the_rendered_job_labelled_with_the_incident() {
    let f = table_alert();
    let plan = f.plan(&action("run_job", json!({"template": "vacuum"}))).await.unwrap();
    let labels = json!({
        "app.kubernetes.io/managed-by": "medic",
        "medic.dev/alertname": "PostgresqlTableBloat",
        "medic.dev/fingerprint": "0f1e2d3c4b5a6978",
        "medic.dev/job-template": "vacuum",
    });
    assert_eq!(
        created_by(&plan).0,
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": "medic-vacuum-0f1e2d3c-1",
                "namespace": "shop",
                "labels": labels,
                "annotations": {
                    "medic.dev/alertname": "PostgresqlTableBloat",
                    "medic.dev/starts-at": "2025-03-01T12:00:00Z",
                    "medic.dev/summary": "Job failed to complete.",
                    "medic.dev/job-template": "vacuum",
                },
            },
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": 600,
                "ttlSecondsAfterFinished": 86400,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "restartPolicy": "Never",
                        "serviceAccountName": "maintenance",
                        "containers": [{
                            "name": "vacuum",
                            "image": "postgres:16",
                            "command": ["psql", "-c"],
                            "args": ["VACUUM (ANALYZE) line_items"],
                            "env": [
                                {"name": "PGDATABASE", "value": "orders"},
                                {"name": "PGHOST", "value": "orders-db.shop.svc"},
                            ],
                            "volumeMounts": [{"name": "pgpass", "mountPath": "/etc/pgpass", "readOnly": true}],
                        }],
                        "volumes": [{"name": "pgpass", "secret": {"secretName": "pgpass", "defaultMode": 256}}],
                    },
                },
            },
        })
    );
    assert_eq!(plan.target, Some(shop("Job", "medic-vacuum-0f1e2d3c-1")));

    f.apply(&plan).await;
    assert!(f.get(&shop("Job", "medic-vacuum-0f1e2d3c-1")).await.is_some());
    // A second run of the same incident gets the next number.
    let again = f.plan(&action("run_job", json!({"template": "vacuum"}))).await.unwrap();
    assert_eq!(created_by(&again).name(), "medic-vacuum-0f1e2d3c-2");
    f.apply(&again).await;
    assert!(f.get(&shop("Job", "medic-vacuum-0f1e2d3c-2")).await.is_some());
}

#[tokio::test]
async fn run_job_chooses_the_namespace_from_params_template_or_incident() {
    let mut f = table_alert();
    let namespace = |plan: &super::Plan| created_by(plan).namespace().unwrap_or_default().to_string();
    let plan = f
        .plan(&action("run_job", json!({"template": "vacuum", "namespace": "db"})))
        .await
        .unwrap();
    assert_eq!(namespace(&plan), "db");
    f.settings.job_templates.get_mut("vacuum").unwrap().namespace = Some("maintenance".into());
    let plan = f.plan(&action("run_job", json!({"template": "vacuum"}))).await.unwrap();
    assert_eq!(namespace(&plan), "maintenance");
    f.settings.job_templates.get_mut("vacuum").unwrap().namespace = None;
    // The incident's target namespace, else its namespace label.
    let on_pod = crate::cluster::ObjectRef::namespaced("Pod", "payments", "x");
    let plan = f
        .plan_on(&action("run_job", json!({"template": "vacuum"})), &on_pod)
        .await
        .unwrap();
    assert_eq!(namespace(&plan), "payments");
    let plan = f.plan(&action("run_job", json!({"template": "vacuum"}))).await.unwrap();
    assert_eq!(namespace(&plan), "shop");
    f.incident.labels.remove("namespace");
    f.settings.job_templates.get_mut("vacuum").unwrap().env.clear();
    let (target, reason) = not_applicable(f.plan(&action("run_job", json!({"template": "vacuum"}))).await);
    assert_eq!(target, "no target");
    assert_eq!(
        reason,
        "there is no namespace to run it in: neither the parameters, the template nor the incident give one; give params.namespace"
    );
}

#[tokio::test]
async fn run_job_refusals() {
    let mut f = table_alert();
    assert_eq!(
        invalid_params(f.plan(&action("run_job", json!({"template": "reindex"}))).await),
        (
            "params.template".into(),
            "no Job template \"reindex\" in actions.job_templates (templates: vacuum)".into()
        )
    );
    assert_eq!(
        invalid_params(
            f.plan(&action(
                "run_job",
                json!({"template": "vacuum", "namespace": "Not_A_Namespace"})
            ))
            .await
        ),
        (
            "params.namespace".into(),
            "\"Not_A_Namespace\" is not a namespace name (lower-case letters, digits and `-`, at most 63)".into()
        )
    );
    assert_eq!(
        invalid_params(f.plan(&action("run_job", json!({"template": " "}))).await).1,
        "must name a Job template of actions.job_templates"
    );
    f.incident.labels.remove("table");
    assert_eq!(
        invalid_params(f.plan(&action("run_job", json!({"template": "vacuum"}))).await),
        (
            "params.template".into(),
            "Job template \"vacuum\" at args[0]: label \"table\" is absent from the alert".into()
        )
    );
    f.incident.labels.insert("table".into(), "t".into());
    f.incident.labels.remove("datname");
    assert_eq!(
        invalid_params(f.plan(&action("run_job", json!({"template": "vacuum"}))).await).1,
        "Job template \"vacuum\" at env.PGDATABASE: label \"datname\" is absent from the alert"
    );
    f.settings = ActionSettings::default();
    assert_eq!(
        invalid_params(f.plan(&action("run_job", json!({"template": "vacuum"}))).await).1,
        "no Job template \"vacuum\" in actions.job_templates (none are configured)"
    );
    assert!(f.cluster.applied().is_empty());
}

#[tokio::test]
async fn run_job_renders() {
    let f = table_alert();
    let plan = f.plan(&action("run_job", json!({"template": "vacuum"}))).await.unwrap();
    assert_eq!(
        plan.render(),
        "\
run_job: run Job template vacuum as job/shop/medic-vacuum-0f1e2d3c-1 (image postgres:16)
  CREATE job/shop/medic-vacuum-0f1e2d3c-1
  note: vacuum: VACUUM ANALYZE the table named by the alert
  note: it runs as service account maintenance
  note: backoffLimit 0: it runs once and is not retried if it fails
  note: it is stopped after 600s if still running, and deleted with its pods 86400s after it finishes

--- job/shop/medic-vacuum-0f1e2d3c-1 (absent)
+++ job/shop/medic-vacuum-0f1e2d3c-1 (created by medic)
@@ -0,0 +1,51 @@
+apiVersion: batch/v1
+kind: Job
+metadata:
+  annotations:
+    medic.dev/alertname: PostgresqlTableBloat
+    medic.dev/job-template: vacuum
+    medic.dev/starts-at: 2025-03-01T12:00:00Z
+    medic.dev/summary: Job failed to complete.
+  labels:
+    app.kubernetes.io/managed-by: medic
+    medic.dev/alertname: PostgresqlTableBloat
+    medic.dev/fingerprint: 0f1e2d3c4b5a6978
+    medic.dev/job-template: vacuum
+  name: medic-vacuum-0f1e2d3c-1
+  namespace: shop
+spec:
+  activeDeadlineSeconds: 600
+  backoffLimit: 0
+  template:
+    metadata:
+      labels:
+        app.kubernetes.io/managed-by: medic
+        medic.dev/alertname: PostgresqlTableBloat
+        medic.dev/fingerprint: 0f1e2d3c4b5a6978
+        medic.dev/job-template: vacuum
+    spec:
+      containers:
+      - args:
+        - VACUUM (ANALYZE) line_items
+        command:
+        - psql
+        - -c
+        env:
+        - name: PGDATABASE
+          value: orders
+        - name: PGHOST
+          value: orders-db.shop.svc
+        image: postgres:16
+        name: vacuum
+        volumeMounts:
+        - mountPath: /etc/pgpass
+          name: pgpass
+          readOnly: true
+      restartPolicy: Never
+      serviceAccountName: maintenance
+      volumes:
+      - name: pgpass
+        secret:
+          defaultMode: 256
+          secretName: pgpass
+  ttlSecondsAfterFinished: 86400
"
    );
}

/// The incident each shipped template is written for.
fn alert_for(template: &str) -> Vec<(&'static str, &'static str)> {
    match template {
        "postgres-failover" => vec![("namespace", "databases"), ("cluster_name", "orders-pg")],
        "postgres-backup" => vec![
            ("namespace", "databases"),
            ("service", "orders-pg"),
            ("datname", "orders"),
        ],
        "rotate-secret" => vec![
            ("namespace", "shop"),
            ("secret_name", "webhook-signing-key"),
            ("secret_key", "key"),
        ],
        other => panic!("no alert written for template {other}"),
    }
}

#[tokio::test]
async fn the_shipped_job_templates_parse_and_plan_valid_jobs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/jobs");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("config/jobs exists") {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.display().to_string();
        let config = crate::config::load_str(&text, &shown).unwrap_or_else(|e| panic!("{e:#}"));
        let templates = config.actions.job_templates;
        assert_eq!(templates.len(), 1, "{shown} holds one template");
        let (name, template) = templates.into_iter().next().unwrap();
        assert_eq!(
            path.file_stem().and_then(|s| s.to_str()),
            Some(name.as_str()),
            "{shown} is named after its template"
        );
        assert!(
            template.description.is_some() && template.service_account.is_some(),
            "{shown}"
        );

        let mut f = WORKLOADS.alert_on(TargetKind::Pod, "unused");
        f.incident.target = None;
        f.incident.labels = alert_for(&name)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        f.settings.job_templates.insert(name.clone(), template.clone());
        let plan = f
            .plan(&action("run_job", json!({"template": name})))
            .await
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        let job = created_by(&plan);
        let env = job.0.pointer("/spec/template/spec/containers/0/env").unwrap();
        assert!(
            !env.to_string().contains("{{"),
            "{shown}: every reference is rendered: {env}"
        );
        assert_eq!(
            job.0.pointer("/spec/template/spec/serviceAccountName"),
            Some(&json!(template.service_account))
        );
        // The simulated API server validates the Job against its schema.
        f.apply(&plan).await;
        let stored = f.get(&job.reference()).await.expect("the Job was created");
        assert_eq!(
            stored.0.pointer("/spec/template/spec/containers/0/image"),
            Some(&Value::String(template.image.clone()))
        );

        // Without the labels it needs, it is refused, naming one.
        f.incident.labels.retain(|k, _| k == "namespace");
        let err = f.plan(&action("run_job", json!({"template": name}))).await.unwrap_err();
        assert!(
            matches!(&err, ActionError::InvalidParams { message, .. } if message.contains("is absent from the alert") || message.contains("has no value")),
            "{shown}: {err}"
        );
        seen.push(name);
    }
    seen.sort();
    assert_eq!(seen, ["postgres-backup", "postgres-failover", "rotate-secret"]);
}
