//! Tests of the simulated cluster through the `Cluster` trait: loading, reads, writes
//! with their errors, and the controllers' effects.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, PatchBody};

const NOW: &str = "2026-11-22T02:00:00Z";

/// Two Ready nodes; Deployment `shop/api` (2 replicas, revision 1, pods created by the
/// controllers); a PDB on `app=api`; a ConfigMap; a custom resource.
const SHOP: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {name: worker-1, labels: {kubernetes.io/hostname: worker-1}}
  status:
    allocatable: {cpu: "4", memory: 8Gi}
    conditions: [{type: Ready, status: "True"}]
- apiVersion: v1
  kind: Node
  metadata: {name: worker-2, labels: {kubernetes.io/hostname: worker-2}}
  status:
    allocatable: {cpu: "4", memory: 8Gi}
    conditions: [{type: Ready, status: "True"}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  uid: d-api
  generation: 1
  annotations: {deployment.kubernetes.io/revision: "1"}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: shop/api:1.0
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api-6b8d
  namespace: shop
  creationTimestamp: "2026-11-20T10:00:00Z"
  labels: {app: api, pod-template-hash: 6b8d}
  annotations: {deployment.kubernetes.io/revision: "1"}
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: api, uid: d-api, controller: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: api, pod-template-hash: 6b8d}}
  template:
    metadata: {labels: {app: api, pod-template-hash: 6b8d}}
    spec:
      containers:
      - name: api
        image: shop/api:1.0
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {memory: 256Mi}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: api}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop, labels: {app: api, tier: config}}
data: {mode: fast}
---
apiVersion: metrics.k8s.io/v1beta1
kind: PodMetrics
metadata: {name: api-x, namespace: shop}
containers: [{name: api, usage: {cpu: 5m, memory: 40Mi}}]
"#;

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn shop() -> SimCluster {
    SimCluster::from_yaml_at(SHOP, now()).unwrap()
}

fn deployment() -> ObjectRef {
    ObjectRef::namespaced("Deployment", "shop", "api")
}

async fn pods(c: &SimCluster, selector: &str) -> Vec<Object> {
    c.list(&Kind::of("Pod"), Some("shop"), Some(selector)).await.unwrap()
}

async fn replica_sets(c: &SimCluster) -> Vec<Object> {
    c.list(&Kind::of("ReplicaSet"), Some("shop"), None).await.unwrap()
}

async fn get(c: &SimCluster, r: &ObjectRef) -> Object {
    c.get(r).await.unwrap().unwrap_or_else(|| panic!("{r} missing"))
}

fn revision(o: &Object) -> Option<&str> {
    o.annotation("deployment.kubernetes.io/revision")
}

fn owner_name(o: &Object) -> String {
    o.controller().map(|r| r.name).unwrap_or_default()
}

fn patch(target: ObjectRef, patch: PatchBody) -> Operation {
    Operation::Patch {
        target,
        subresource: None,
        patch,
    }
}

#[tokio::test]
async fn loading_fills_in_metadata_and_runs_the_controllers() {
    let c = shop();
    let api = pods(&c, "app=api").await;
    assert_eq!(api.len(), 2, "the ReplicaSet created its pods at load");
    for p in &api {
        assert!(p.name().starts_with("api-6b8d-") && p.name().len() == "api-6b8d-".len() + 5);
        assert_eq!(owner_name(p), "api-6b8d");
        assert_eq!(p.0["status"]["phase"], "Running");
        assert!(p.uid().is_some() && p.resource_version().is_some());
        assert_eq!(p.0["metadata"]["creationTimestamp"], NOW);
        assert!(p.0["spec"]["nodeName"].is_string());
    }
    let nodes: Vec<&str> = api.iter().map(|p| p.0["spec"]["nodeName"].as_str().unwrap()).collect();
    assert_ne!(nodes[0], nodes[1], "spread over the least loaded nodes");
    assert!(
        replica_sets(&c).await.len() == 1,
        "the current ReplicaSet is recognized by its template"
    );
    let d = get(&c, &deployment()).await;
    assert_eq!(d.0["status"]["readyReplicas"], 2);
    assert_eq!(d.0["status"]["observedGeneration"], 1);
    let cm = get(&c, &ObjectRef::namespaced("ConfigMap", "shop", "settings")).await;
    assert_eq!(cm.0["data"]["mode"], "fast");
    let metrics = ObjectRef {
        kind: Kind::from_type("metrics.k8s.io/v1beta1", "PodMetrics"),
        namespace: Some("shop".into()),
        name: "api-x".into(),
    };
    assert_eq!(get(&c, &metrics).await.0["containers"][0]["usage"]["memory"], "40Mi");
    assert!(c.describe().starts_with("simulated (") && c.describe().ends_with(" objects from inline YAML)"));
    let named = shop().with_source("config/demo/cluster.yaml");
    assert!(named.describe().ends_with(" objects from config/demo/cluster.yaml)"));
    assert!(c.applied().is_empty());
}

#[tokio::test]
async fn a_bad_document_is_named_with_its_field() {
    let text = format!(
        "{SHOP}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: broken, namespace: shop}}\nspec:\n  containers:\n  - name: x\n    ports: [{{containerPort: http}}]\n"
    );
    let e = SimCluster::from_yaml(&text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "document 7 (Pod shop/broken): invalid at spec.containers[0].ports[0].containerPort: invalid type: string \"http\", expected i32"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, "apiVersion: v1\nkind: Pod\n").unwrap();
    let e = SimCluster::load(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: document 1: not a Kubernetes object: missing metadata.name",
            path.display()
        )
    );
    let e = SimCluster::load(&dir.path().join("missing.yaml")).unwrap_err();
    assert!(matches!(e, SimError::Read { .. }), "{e}");
}

#[tokio::test]
async fn list_filters_by_namespace_and_selector() {
    let c = shop();
    let cms = c
        .list(
            &Kind::of("ConfigMap"),
            Some("shop"),
            Some("app in (api,web),tier!=db,!absent"),
        )
        .await
        .unwrap();
    assert_eq!(cms.len(), 1);
    assert!(
        c.list(&Kind::of("ConfigMap"), Some("other"), None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(c.list(&Kind::of("Node"), Some("shop"), None).await.unwrap().len(), 2);
    assert_eq!(pods(&c, "app==api,pod-template-hash").await.len(), 2);
    assert!(pods(&c, "app notin (api)").await.is_empty());
    let e = c.list(&Kind::of("Pod"), None, Some("app in (api")).await.unwrap_err();
    assert!(matches!(e, ClusterError::Api { code: 400, .. }));
    assert!(e.to_string().contains("label selector \"app in (api\""), "{e}");
}

#[tokio::test]
async fn events_are_matched_to_their_object_oldest_first() {
    let text = format!(
        "{SHOP}---\n{}",
        r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Event
  metadata: {name: e1, namespace: shop}
  involvedObject: {kind: Deployment, name: api, namespace: shop}
  reason: Late
  message: last
  type: Warning
  lastTimestamp: "2026-11-22T01:50:00Z"
- apiVersion: v1
  kind: Event
  metadata: {name: e2, namespace: shop}
  involvedObject: {kind: Deployment, name: api, namespace: shop}
  reason: Early
  message: first
  type: Normal
  eventTime: "2026-11-22T01:00:00.000000Z"
- apiVersion: v1
  kind: Event
  metadata: {name: e3, namespace: shop}
  involvedObject: {kind: Deployment, name: api, namespace: shop}
  reason: Middle
  message: second
  type: Warning
  firstTimestamp: "2026-11-22T01:30:00Z"
- apiVersion: v1
  kind: Event
  metadata: {name: e4, namespace: shop}
  involvedObject: {kind: Deployment, name: other, namespace: shop}
  reason: Unrelated
  message: no
- apiVersion: v1
  kind: Event
  metadata: {name: n1, namespace: default}
  involvedObject: {kind: Node, name: worker-1}
  reason: NodeNotReady
  message: node
"#
    );
    let c = SimCluster::from_yaml_at(&text, now()).unwrap();
    let reasons: Vec<String> = c
        .events(&deployment())
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.reason.unwrap_or_default())
        .collect();
    assert_eq!(reasons, ["Early", "Middle", "Late"]);
    let node = c.events(&ObjectRef::cluster_scoped("Node", "worker-1")).await.unwrap();
    assert_eq!(node.len(), 1);
    assert!(
        c.events(&ObjectRef::namespaced("Pod", "shop", "nope"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn log_tails_come_from_the_fixture_or_set_log() {
    let text = format!(
        "{SHOP}---\napiVersion: medic.dev/v1alpha1\nkind: ContainerLogs\nlogs:\n  shop/p/c: |\n    starting\n    serving\nprevious:\n  shop/p/c: |\n    line one\n    panic: boom\n"
    );
    let c = SimCluster::from_yaml_at(&text, now()).unwrap();
    assert_eq!(
        c.log_tail("shop", "p", "c", false, 100).await.unwrap().as_deref(),
        Some("starting\nserving\n")
    );
    assert_eq!(
        c.log_tail("shop", "p", "c", true, 14).await.unwrap().as_deref(),
        Some("panic: boom\n"),
        "cut at a line start"
    );
    assert_eq!(c.log_tail("shop", "p", "other", false, 100).await.unwrap(), None);
    c.set_log("shop", "p", "other", false, "hello\n");
    assert_eq!(
        c.log_tail("shop", "p", "other", false, 100).await.unwrap().as_deref(),
        Some("hello\n")
    );
}

#[tokio::test]
async fn patches_in_each_format_bump_the_resource_version() {
    let c = shop();
    let cm = ObjectRef::namespaced("ConfigMap", "shop", "settings");
    let before = get(&c, &cm).await;
    let rv0: u64 = before.resource_version().unwrap().parse().unwrap();
    let r = c
        .apply(&patch(cm.clone(), PatchBody::Merge(json!({"data": {"mode": "slow"}}))))
        .await
        .unwrap();
    assert_eq!(r.message, "configmap/settings patched");
    let after = get(&c, &cm).await;
    assert_eq!(after.0["data"]["mode"], "slow");
    let rv1: u64 = after.resource_version().unwrap().parse().unwrap();
    assert!(rv1 > rv0);
    let ok = PatchBody::Json(json!([
        {"op": "test", "path": "/metadata/resourceVersion", "value": rv1.to_string()},
        {"op": "add", "path": "/data/extra", "value": "1"}]));
    c.apply(&patch(cm.clone(), ok)).await.unwrap();
    assert_eq!(get(&c, &cm).await.0["data"]["extra"], "1");
    let strategic = PatchBody::Strategic(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "api", "env": [{"name": "MODE", "value": "x"}]}]}}}}));
    c.apply(&patch(deployment(), strategic)).await.unwrap();
    let d = get(&c, &deployment()).await;
    assert_eq!(
        d.0["spec"]["template"]["spec"]["containers"][0]["image"],
        "shop/api:1.0"
    );
    assert_eq!(d.0["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"], "x");
    assert_eq!(d.0["metadata"]["generation"], 2);
    assert_eq!(d.0["status"]["observedGeneration"], 2);
    assert_eq!(c.applied().len(), 3);
}

#[tokio::test]
async fn patch_errors_are_the_api_servers() {
    let c = shop();
    let cm = ObjectRef::namespaced("ConfigMap", "shop", "settings");
    let missing = ObjectRef::namespaced("ConfigMap", "shop", "nope");
    let e = c
        .apply(&patch(missing, PatchBody::Merge(json!({"data": {}}))))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "configmap/shop/nope not found");
    let stale = PatchBody::Json(json!([
        {"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
        {"op": "add", "path": "/data/x", "value": "1"}]));
    let e = c.apply(&patch(cm.clone(), stale)).await.unwrap_err();
    assert!(matches!(e, ClusterError::Conflict { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("configmaps \"settings\": the object has been modified"),
        "{e}"
    );
    let stale_merge = PatchBody::Merge(json!({"metadata": {"resourceVersion": "1"}, "data": {"x": "1"}}));
    assert!(matches!(
        c.apply(&patch(cm.clone(), stale_merge)).await,
        Err(ClusterError::Conflict { .. })
    ));
    let bad_test = PatchBody::Json(json!([{"op": "test", "path": "/data/mode", "value": "other"}]));
    assert!(matches!(
        c.apply(&patch(cm.clone(), bad_test)).await,
        Err(ClusterError::Invalid { .. })
    ));
    let e = c
        .apply(&patch(
            deployment(),
            PatchBody::Merge(json!({"spec": {"replicas": "two"}})),
        ))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("invalid change to deployment/shop/api: spec.replicas: invalid type: string \"two\""),
        "{e}"
    );
    let e = c
        .apply(&patch(
            deployment(),
            PatchBody::Merge(json!({"spec": {"selector": {"matchLabels": {"app": "x"}}}})),
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("spec.selector: Invalid value"), "{e}");
    let too_much = PatchBody::Strategic(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "api", "resources": {"requests": {"memory": "1Gi"}}}]}}}}));
    let e = c.apply(&patch(deployment(), too_much)).await.unwrap_err();
    assert!(
        e.to_string()
            .contains("must be less than or equal to memory limit of 256Mi"),
        "{e}"
    );
    let e = c
        .apply(&patch(
            deployment(),
            PatchBody::Merge(json!({"metadata": {"name": "other"}})),
        ))
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("metadata.name: Invalid value: \"other\": field is immutable"),
        "{e}"
    );
    assert!(c.applied().is_empty(), "failed calls are not recorded");
}

#[tokio::test]
async fn the_scale_subresource_sets_replicas_and_pods_follow() {
    let c = shop();
    let scale = |n: i64| Operation::Patch {
        target: deployment(),
        subresource: Some("scale".into()),
        patch: PatchBody::Merge(json!({"spec": {"replicas": n}})),
    };
    let r = c.apply(&scale(4)).await.unwrap();
    assert_eq!(r.object.unwrap().0["kind"], "Scale");
    assert_eq!(get(&c, &deployment()).await.0["spec"]["replicas"], 4);
    assert_eq!(pods(&c, "app=api").await.len(), 4);
    assert_eq!(replica_sets(&c).await.len(), 1, "scaling is not a new revision");
    c.apply(&scale(1)).await.unwrap();
    assert_eq!(pods(&c, "app=api").await.len(), 1);
    let e = c.apply(&scale(-1)).await.unwrap_err();
    assert!(matches!(e, ClusterError::Invalid { .. }), "{e}");
    let e = c
        .apply(&Operation::Patch {
            target: ObjectRef::namespaced("ConfigMap", "shop", "settings"),
            subresource: Some("scale".into()),
            patch: PatchBody::Merge(json!({"spec": {"replicas": 1}})),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::NotFound(_)), "{e}");
}

#[tokio::test]
async fn deleting_a_pod_makes_its_replica_set_replace_it() {
    let c = shop();
    let before = pods(&c, "app=api").await;
    let victim = before[0].reference();
    let e = c
        .apply(&Operation::Delete {
            target: victim.clone(),
            grace_period_seconds: None,
            uid: Some("not-its-uid".into()),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::Conflict { .. }));
    assert!(
        e.to_string()
            .contains("Precondition failed: UID in precondition: not-its-uid"),
        "{e}"
    );
    let r = c
        .apply(&Operation::Delete {
            target: victim.clone(),
            grace_period_seconds: Some(0),
            uid: before[0].uid().map(str::to_string),
        })
        .await
        .unwrap();
    assert_eq!(r.message, format!("pod/{} deleted", victim.name));
    let after = pods(&c, "app=api").await;
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|p| p.name() != victim.name));
    assert!(after.iter().all(|p| owner_name(p) == "api-6b8d"));
    let e = c
        .apply(&Operation::Delete {
            target: victim,
            grace_period_seconds: None,
            uid: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::NotFound(_)));
    assert_eq!(c.applied().len(), 1);
}

#[tokio::test]
async fn deleting_a_deployment_collects_its_replica_sets_and_pods() {
    let c = shop();
    c.apply(&Operation::Delete {
        target: deployment(),
        grace_period_seconds: None,
        uid: None,
    })
    .await
    .unwrap();
    assert!(replica_sets(&c).await.is_empty());
    assert!(pods(&c, "app=api").await.is_empty());
}

#[tokio::test]
async fn create_refuses_duplicates_and_supports_generate_name() {
    let c = shop();
    let cm = |name: Value| {
        Object(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "shop", "generateName": "gen-"}}),
        )
    };
    let e = c
        .apply(&Operation::Create {
            object: cm(json!("settings")),
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::Conflict { .. }));
    assert!(e.to_string().contains("configmaps \"settings\" already exists"), "{e}");
    let r = c
        .apply(&Operation::Create {
            object: cm(Value::Null),
        })
        .await
        .unwrap();
    let created = r.object.unwrap();
    assert!(created.name().starts_with("gen-") && created.name().len() == 9);
    assert!(created.uid().is_some());
    assert_eq!(r.message, format!("configmap/{} created", created.name()));
    let event = Object(
        json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "medic.1"},
        "involvedObject": {"kind": "Deployment", "name": "api", "namespace": "shop"},
        "reason": "MedicAction", "message": "scaled", "type": "Normal"}),
    );
    let r = c.apply(&Operation::Create { object: event }).await.unwrap();
    assert_eq!(r.object.unwrap().namespace(), Some("default"));
    let bad = Object(json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "count": "many"}));
    let e = c.apply(&Operation::Create { object: bad }).await.unwrap_err();
    assert!(e.to_string().contains("count: invalid type"), "{e}");
}

#[tokio::test]
async fn eviction_honours_the_disruption_budget() {
    let c = shop();
    let names: Vec<String> = pods(&c, "app=api").await.iter().map(|p| p.name().to_string()).collect();
    let r = c
        .apply(&Operation::Evict {
            namespace: "shop".into(),
            pod: names[0].clone(),
            wait_seconds: None,
        })
        .await
        .unwrap();
    assert_eq!(r.message, format!("pod/{} evicted", names[0]));
    assert_eq!(pods(&c, "app=api").await.len(), 2, "replaced by the ReplicaSet");
    // Make the budget need both pods: no eviction is allowed.
    c.apply(&patch(
        ObjectRef::namespaced("PodDisruptionBudget", "shop", "api"),
        PatchBody::Merge(json!({"spec": {"minAvailable": "100%"}})),
    ))
    .await
    .unwrap();
    let e = c
        .apply(&Operation::Evict {
            namespace: "shop".into(),
            pod: names[1].clone(),
            wait_seconds: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::DisruptionBudget { .. }));
    assert!(
        e.to_string()
            .contains("The disruption budget api needs 2 healthy pods and has 2 currently"),
        "{e}"
    );
    let e = c
        .apply(&Operation::Evict {
            namespace: "shop".into(),
            pod: "gone".into(),
            wait_seconds: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::NotFound(_)));
}

#[tokio::test]
async fn rollout_restart_creates_a_new_revision_and_replaces_the_pods() {
    let c = shop();
    let old_pods: Vec<String> = pods(&c, "app=api").await.iter().map(|p| p.name().to_string()).collect();
    let restart = PatchBody::Strategic(json!({"spec": {"template": {"metadata": {"annotations":
        {"kubectl.kubernetes.io/restartedAt": NOW}}}}}));
    c.apply(&patch(deployment(), restart)).await.unwrap();
    let sets = replica_sets(&c).await;
    assert_eq!(sets.len(), 2);
    let new = sets.iter().find(|rs| rs.name() != "api-6b8d").unwrap();
    let old = sets.iter().find(|rs| rs.name() == "api-6b8d").unwrap();
    assert_eq!(revision(new), Some("2"));
    assert_eq!(new.0["spec"]["replicas"], 2);
    assert_eq!(old.0["spec"]["replicas"], 0);
    let hash = new.label("pod-template-hash").unwrap();
    assert_eq!(new.name(), format!("api-{hash}"));
    assert_eq!(new.0["metadata"]["ownerReferences"][0]["uid"], "d-api");
    assert_eq!(new.0["metadata"]["creationTimestamp"], NOW);
    let now_pods = pods(&c, "app=api").await;
    assert_eq!(now_pods.len(), 2);
    for p in &now_pods {
        assert!(!old_pods.contains(&p.name().to_string()));
        assert_eq!(owner_name(p), new.name());
        assert_eq!(p.label("pod-template-hash"), Some(hash));
        assert_eq!(p.0["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"], NOW);
    }
    let d = get(&c, &deployment()).await;
    assert_eq!(revision(&d), Some("2"));
    let progressing = d.0["status"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Progressing")
        .unwrap();
    assert_eq!(progressing["reason"], "NewReplicaSetAvailable");
}

#[tokio::test]
async fn rollback_reuses_the_old_replica_set_with_the_next_revision() {
    let c = shop();
    let original = get(&c, &deployment()).await.0["spec"]["template"].clone();
    c.apply(&patch(
        deployment(),
        PatchBody::Strategic(
            json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "shop/api:2.0"}]}}}}),
        ),
    ))
    .await
    .unwrap();
    assert_eq!(revision(&get(&c, &deployment()).await), Some("2"));
    // Roll back as `kubectl rollout undo` does: put the old ReplicaSet's template back.
    let rollback = PatchBody::Json(json!([{"op": "replace", "path": "/spec/template", "value": original}]));
    c.apply(&patch(deployment(), rollback)).await.unwrap();
    let sets = replica_sets(&c).await;
    assert_eq!(sets.len(), 2, "no third ReplicaSet");
    let old = sets.iter().find(|rs| rs.name() == "api-6b8d").unwrap();
    assert_eq!(revision(old), Some("3"));
    assert_eq!(old.annotation("deployment.kubernetes.io/revision-history"), Some("1"));
    assert_eq!(old.0["spec"]["replicas"], 2);
    let other = sets.iter().find(|rs| rs.name() != "api-6b8d").unwrap();
    assert_eq!(other.0["spec"]["replicas"], 0);
    assert_eq!(revision(&get(&c, &deployment()).await), Some("3"));
    for p in pods(&c, "app=api").await {
        assert_eq!(owner_name(&p), "api-6b8d");
        assert_eq!(p.0["spec"]["containers"][0]["image"], "shop/api:1.0");
    }
}

#[tokio::test]
async fn a_paused_deployment_does_not_roll_out() {
    let c = shop();
    c.apply(&patch(
        deployment(),
        PatchBody::Merge(json!({"spec": {"paused": true}})),
    ))
    .await
    .unwrap();
    c.apply(&patch(
        deployment(),
        PatchBody::Strategic(
            json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "shop/api:2.0"}]}}}}),
        ),
    ))
    .await
    .unwrap();
    assert_eq!(replica_sets(&c).await.len(), 1);
    assert!(pods(&c, "app=api").await.iter().all(|p| owner_name(p) == "api-6b8d"));
    c.apply(&patch(
        deployment(),
        PatchBody::Merge(json!({"spec": {"paused": false}})),
    ))
    .await
    .unwrap();
    assert_eq!(replica_sets(&c).await.len(), 2, "resuming rolls the change out");
}

#[tokio::test]
async fn unschedulable_pods_stay_pending_with_an_event() {
    let c = shop();
    let big = PatchBody::Strategic(json!({"spec": {"template": {"spec": {"containers": [
        {"name": "api", "resources": {"requests": {"memory": "9Gi"}, "limits": {"memory": "9Gi"}}}]}}}}));
    c.apply(&patch(deployment(), big)).await.unwrap();
    let new_pods: Vec<Object> = pods(&c, "app=api")
        .await
        .into_iter()
        .filter(|p| owner_name(p) != "api-6b8d")
        .collect();
    assert_eq!(new_pods.len(), 2);
    assert!(
        new_pods
            .iter()
            .all(|p| p.0["status"]["phase"] == "Pending" && p.0["spec"]["nodeName"].is_null())
    );
    let events = c.events(&new_pods[0].reference()).await.unwrap();
    assert_eq!(events[0].reason.as_deref(), Some("FailedScheduling"));
    assert_eq!(
        events[0].message.as_deref(),
        Some(
            "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        )
    );
    let old = replica_sets(&c)
        .await
        .into_iter()
        .find(|rs| rs.name() == "api-6b8d")
        .unwrap();
    assert_eq!(
        old.0["spec"]["replicas"], 2,
        "the old pods stay while the new ones are unavailable"
    );
    let d = get(&c, &deployment()).await;
    assert_eq!(d.0["status"]["updatedReplicas"], 2);
    assert_eq!(d.0["status"]["readyReplicas"], 2);
    // Cordoning both nodes: a replacement pod has nowhere to go.
    for n in ["worker-1", "worker-2"] {
        c.apply(&patch(
            ObjectRef::cluster_scoped("Node", n),
            PatchBody::Merge(json!({"spec": {"unschedulable": true}})),
        ))
        .await
        .unwrap();
    }
    let old_pod = pods(&c, "app=api")
        .await
        .into_iter()
        .find(|p| owner_name(p) == "api-6b8d")
        .unwrap();
    c.apply(&Operation::Delete {
        target: old_pod.reference(),
        grace_period_seconds: None,
        uid: None,
    })
    .await
    .unwrap();
    let replacement = pods(&c, "app=api")
        .await
        .into_iter()
        .find(|p| owner_name(p) == "api-6b8d" && p.0["status"]["phase"] == "Pending")
        .unwrap();
    let events = c.events(&replacement.reference()).await.unwrap();
    assert!(
        events[0]
            .message
            .as_deref()
            .unwrap()
            .contains("2 node(s) had untolerated taint {node.kubernetes.io/unschedulable: }")
    );
}

const STATEFUL: &str = r#"
apiVersion: v1
kind: Node
metadata: {name: n1}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: data}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: "agent:1"}]}
"#;

#[tokio::test]
async fn stateful_sets_and_daemon_sets_keep_their_pods() {
    let c = SimCluster::from_yaml_at(STATEFUL, now()).unwrap();
    let db = c.list(&Kind::of("Pod"), Some("data"), Some("app=db")).await.unwrap();
    let names: Vec<&str> = db.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["db-0", "db-1"]);
    assert_eq!(
        db[0].0["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"],
        "data-db-0"
    );
    let pvc = get(&c, &ObjectRef::namespaced("PersistentVolumeClaim", "data", "data-db-1")).await;
    assert_eq!(pvc.0["status"]["phase"], "Bound");
    let uids: Vec<String> = db.iter().map(|p| p.uid().unwrap().to_string()).collect();
    let sts = ObjectRef::namespaced("StatefulSet", "data", "db");
    c.apply(&patch(
        sts.clone(),
        PatchBody::Strategic(
            json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": NOW}}}}}),
        ),
    ))
    .await
    .unwrap();
    let db = c.list(&Kind::of("Pod"), Some("data"), Some("app=db")).await.unwrap();
    assert_eq!(db.len(), 2);
    assert!(
        db.iter().all(|p| !uids.contains(&p.uid().unwrap().to_string())),
        "pods recreated"
    );
    let status = &get(&c, &sts).await.0["status"];
    assert_eq!(
        status["updateRevision"],
        db[0].label("controller-revision-hash").unwrap()
    );
    assert_eq!(status["readyReplicas"], 2);
    c.apply(&Operation::Patch {
        target: sts,
        subresource: Some("scale".into()),
        patch: PatchBody::Merge(json!({"spec": {"replicas": 1}})),
    })
    .await
    .unwrap();
    let names: Vec<String> = c
        .list(&Kind::of("Pod"), Some("data"), Some("app=db"))
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    assert_eq!(names, ["db-0"]);
    let agents = c.list(&Kind::of("Pod"), Some("data"), Some("app=agent")).await.unwrap();
    let mut nodes: Vec<&str> = agents
        .iter()
        .map(|p| p.0["spec"]["nodeName"].as_str().unwrap())
        .collect();
    nodes.sort();
    assert_eq!(nodes, ["n1", "n2"]);
}

#[tokio::test]
async fn the_fixture_clock_moves_timestamps_to_the_load_time() {
    let text = "apiVersion: medic.dev/v1alpha1\nkind: FixtureClock\nnow: \"2026-01-01T12:00:00Z\"\n---\n\
                apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, creationTimestamp: \"2026-01-01T11:50:00Z\"}\n";
    let c = SimCluster::from_yaml_at(text, now()).unwrap();
    let cm = get(&c, &ObjectRef::namespaced("ConfigMap", "default", "a")).await;
    assert_eq!(cm.0["metadata"]["creationTimestamp"], "2026-11-22T01:50:00Z");
}

#[tokio::test]
async fn the_demo_fixture_loads_with_the_crash_looping_web_pod() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo/cluster.yaml");
    let c = SimCluster::load(&path).unwrap();
    assert!(c.describe().ends_with(&format!("objects from {})", path.display())));
    let pod = get(&c, &ObjectRef::namespaced("Pod", "default", "web-7d4b9c-xyz")).await;
    assert_eq!(
        pod.0["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "CrashLoopBackOff"
    );
    let rs_ref = pod.controller().unwrap();
    assert_eq!(rs_ref, ObjectRef::namespaced("ReplicaSet", "default", "web-7d4b9c"));
    let rs = get(&c, &rs_ref).await;
    assert_eq!(revision(&rs), Some("2"));
    let d_ref = rs.controller().unwrap();
    assert_eq!(d_ref, ObjectRef::namespaced("Deployment", "default", "web"));
    let d = get(&c, &d_ref).await;
    assert_eq!(revision(&d), Some("2"));
    let old = get(&c, &ObjectRef::namespaced("ReplicaSet", "default", "web-5c8f7b")).await;
    assert_eq!(
        (revision(&old), old.0["spec"]["replicas"].as_i64()),
        (Some("1"), Some(0))
    );
    let web_pods = c
        .list(&Kind::of("Pod"), Some("default"), Some("app=web"))
        .await
        .unwrap();
    assert_eq!(web_pods.len(), 1, "loading changed nothing about web");
    let backoff = c.events(&pod.reference()).await.unwrap();
    assert!(backoff.iter().any(|e| e.reason.as_deref() == Some("BackOff")));
    let log = c
        .log_tail("default", "web-7d4b9c-xyz", "web", true, 4096)
        .await
        .unwrap()
        .unwrap();
    assert!(log.contains("panic"), "{log}");
    // The revision was rolled out minutes before "now", whenever the demo runs.
    let created: Timestamp = rs.0["metadata"]["creationTimestamp"].as_str().unwrap().parse().unwrap();
    let age = Timestamp::now().duration_since(created).as_secs();
    assert!((60..3600).contains(&age), "revision age {age}s");
    let mut sets: Vec<String> = c
        .list(&Kind::of("ReplicaSet"), None, None)
        .await
        .unwrap()
        .iter()
        .map(|rs| rs.name().to_string())
        .collect();
    sets.sort();
    assert_eq!(
        sets,
        [
            "api-5f6d8c9b7",
            "api-78b4c6d95",
            "catalog-6d9f8c7b5",
            "checkout-7b9c5d8f6",
            "web-5c8f7b",
            "web-7d4b9c"
        ],
        "loading rolled nothing out"
    );
    let count = |pods: &[Object], phase: &str| pods.iter().filter(|p| p.0["status"]["phase"] == phase).count();
    let shop_pods = c.list(&Kind::of("Pod"), Some("shop"), None).await.unwrap();
    let catalog: Vec<Object> = shop_pods
        .iter()
        .filter(|p| p.label("app") == Some("catalog"))
        .cloned()
        .collect();
    assert_eq!(
        (catalog.len(), count(&catalog, "Running")),
        (4, 4),
        "healthy catalog pods are generated"
    );
    assert!(catalog.iter().all(|p| p.0["spec"]["nodeName"] != "worker-3"));
    let checkout: Vec<Object> = shop_pods
        .iter()
        .filter(|p| p.label("app") == Some("checkout"))
        .cloned()
        .collect();
    assert_eq!(
        (checkout.len(), count(&checkout, "Pending")),
        (4, 1),
        "2 running, 1 terminating, 1 pending"
    );
    assert_eq!(
        shop_pods.iter().filter(|p| p.label("app") == Some("postgres")).count(),
        1
    );
    let condition = |d: &Object, type_: &str| {
        d.0["status"]["conditions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["type"] == type_)
            .map(|c| c["reason"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(condition(&d, "Progressing"), "ReplicaSetUpdated");
    assert_eq!(condition(&d, "Available"), "MinimumReplicasUnavailable");
    let checkout_d = get(&c, &ObjectRef::namespaced("Deployment", "shop", "checkout")).await;
    assert_eq!(condition(&checkout_d, "Progressing"), "ProgressDeadlineExceeded");
    assert_eq!(checkout_d.0["status"]["readyReplicas"], 2);
    let catalog_d = get(&c, &ObjectRef::namespaced("Deployment", "shop", "catalog")).await;
    assert_eq!(condition(&catalog_d, "Progressing"), "NewReplicaSetAvailable");
    assert_eq!(catalog_d.0["status"]["readyReplicas"], 4);
    for (kind, ns, name) in [
        ("Deployment", "shop", "api"),
        ("Deployment", "shop", "checkout"),
        ("StatefulSet", "shop", "postgres"),
        ("PersistentVolumeClaim", "shop", "uploads"),
        ("HorizontalPodAutoscaler", "shop", "catalog"),
    ] {
        get(&c, &ObjectRef::namespaced(kind, ns, name)).await;
    }
    for node in ["worker-1", "worker-2", "worker-3"] {
        get(&c, &ObjectRef::cluster_scoped("Node", node)).await;
    }
}

#[tokio::test]
async fn demo_remediations_have_their_real_effect() {
    let c = SimCluster::from_yaml_at(
        include_str!("../../../config/demo/cluster.yaml"),
        "2026-11-22T01:50:00Z".parse().unwrap(),
    )
    .unwrap();
    // Rolling web back to revision 1 (the template of web-5c8f7b) replaces the crashing pod.
    let old = get(&c, &ObjectRef::namespaced("ReplicaSet", "default", "web-5c8f7b")).await;
    let mut template = old.0["spec"]["template"].clone();
    template["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    let web = ObjectRef::namespaced("Deployment", "default", "web");
    c.apply(&patch(
        web.clone(),
        PatchBody::Json(json!([{"op": "replace", "path": "/spec/template", "value": template}])),
    ))
    .await
    .unwrap();
    let d = get(&c, &web).await;
    assert_eq!(revision(&d), Some("3"));
    let pods = c
        .list(&Kind::of("Pod"), Some("default"), Some("app=web"))
        .await
        .unwrap();
    assert_eq!(pods.len(), 1);
    assert_eq!(owner_name(&pods[0]), "web-5c8f7b");
    assert_eq!(pods[0].0["status"]["phase"], "Running");
    assert_ne!(
        pods[0].0["spec"]["nodeName"], "worker-3",
        "never on the unreachable node"
    );
    assert_eq!(d.0["status"]["readyReplicas"], 1);
    assert_eq!(
        c.log_tail("default", "web-7d4b9c-xyz", "web", true, 100).await.unwrap(),
        None,
        "the crashed pod and its logs are gone"
    );
    // The checkout PDB forbids evicting a healthy checkout pod...
    let e = c
        .apply(&Operation::Evict {
            namespace: "shop".into(),
            pod: "checkout-7b9c5d8f6-4hx2q".into(),
            wait_seconds: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(e, ClusterError::DisruptionBudget { .. }), "{e}");
    // ...and restarting the Pending one gives a replacement that is just as stuck.
    c.apply(&Operation::Delete {
        target: ObjectRef::namespaced("Pod", "shop", "checkout-7b9c5d8f6-9pz7w"),
        grace_period_seconds: None,
        uid: None,
    })
    .await
    .unwrap();
    let checkout = c
        .list(&Kind::of("Pod"), Some("shop"), Some("app=checkout"))
        .await
        .unwrap();
    let pending: Vec<&Object> = checkout
        .iter()
        .filter(|p| p.0["status"]["phase"] == "Pending")
        .collect();
    assert_eq!(pending.len(), 1);
    assert_ne!(pending[0].name(), "checkout-7b9c5d8f6-9pz7w");
    let events = c.events(&pending[0].reference()).await.unwrap();
    assert_eq!(
        events[0].message.as_deref(),
        Some(
            "0/3 nodes are available: 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector, \
             1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/3 nodes are available: \
             3 Preemption is not helpful for scheduling."
        )
    );
    assert_eq!(c.applied().len(), 2, "the refused eviction is not recorded");
}

#[tokio::test]
async fn a_created_deployment_gets_its_first_revision_and_a_status_patch_touches_status_only() {
    let c = shop();
    let web = Object(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "web:1"}]}}}
    }));
    let created = c
        .apply(&Operation::Create { object: web })
        .await
        .unwrap()
        .object
        .unwrap();
    assert_eq!(created.0["metadata"]["generation"], 1);
    let r = ObjectRef::namespaced("Deployment", "shop", "web");
    let d = get(&c, &r).await;
    assert_eq!(revision(&d), Some("1"));
    assert_eq!(d.0["status"]["readyReplicas"], 3);
    assert_eq!(pods(&c, "app=web").await.len(), 3);
    let mismatched = Object(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "bad", "namespace": "shop"},
        "spec": {"selector": {"matchLabels": {"app": "x"}},
                 "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": []}}}
    }));
    let e = c.apply(&Operation::Create { object: mismatched }).await.unwrap_err();
    assert!(
        e.to_string().contains("`selector` does not match template `labels`"),
        "{e}"
    );
    let status = Operation::Patch {
        target: ObjectRef::namespaced("ConfigMap", "shop", "settings"),
        subresource: Some("status".into()),
        patch: PatchBody::Merge(json!({"data": {"mode": "ignored"}, "status": {"note": "x"}})),
    };
    c.apply(&status).await.unwrap();
    let cm = get(&c, &ObjectRef::namespaced("ConfigMap", "shop", "settings")).await;
    assert_eq!(
        (cm.0["data"]["mode"].as_str(), cm.0["status"]["note"].as_str()),
        (Some("fast"), Some("x"))
    );
}
