//! Tests of the executor: the HTTP notifier against a local server, evictions waiting
//! for disruption budgets on paused tokio time, Events recorded in the simulated cluster,
//! and what dry-run sends (only an escalation's notification). This file holds the
//! cluster, incident and executor they share.

mod evictions;
mod notifications;
mod recorded_events;
mod webhook;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use jiff::Timestamp;
use k8s_openapi::api::core::v1::Event;
use serde_json::{Value, json};

use super::*;
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::settings::{NotifyChannel, NotifyFormat};
use crate::actions::{Action, ActionSettings, Bounds};
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, OperationResult};
use crate::context::Context;
use crate::incident::{AlertStatus, Incident, Labels, TargetKind, TargetRef};
use crate::policy::{Verdict, VerdictKind};
use crate::web::metrics::Metrics;

const NOW: &str = "2025-03-01T12:00:00Z";

/// Two nodes; Deployment `shop/api` with two pods on `worker-1` (the only node of pool
/// `blue`).
const CLUSTER: &str = r#"
apiVersion: medic.dev/v1alpha1
kind: FixtureClock
now: "2025-03-01T12:00:00Z"
---
apiVersion: v1
kind: Node
metadata: {name: worker-1, uid: uid-worker-1, labels: {pool: blue}}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: v1
kind: Node
metadata: {name: worker-2, uid: uid-worker-2}
status: {conditions: [{type: Ready, status: "True"}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, uid: uid-api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      nodeSelector: {pool: blue}
      containers: [{name: api, image: "shop/api:1.4"}]
"#;

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn incident(kind: TargetKind, namespace: Option<&str>, name: &str) -> Incident {
    Incident {
        source: "alertmanager".into(),
        fingerprint: "1a2b3c4d5e6f7081".into(),
        status: AlertStatus::Firing,
        alertname: "KubeNodeNotReady".into(),
        severity: Some("critical".into()),
        labels: [("node".to_string(), "worker-1".to_string())].into_iter().collect(),
        annotations: [("summary".to_string(), "Node is not ready.".to_string())]
            .into_iter()
            .collect::<Labels>(),
        starts_at: now(),
        ends_at: None,
        generator_url: None,
        receiver: None,
        group_key: None,
        target: Some(TargetRef {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.into(),
            container: None,
        }),
    }
}

fn verdict(kind: VerdictKind, dry_run: bool) -> Verdict {
    Verdict {
        kind,
        dry_run,
        checks: Vec::new(),
    }
}

fn channel(name: &str, url: Option<String>, format: NotifyFormat, on_escalate: bool) -> NotifyChannel {
    NotifyChannel {
        name: name.into(),
        url_env: None,
        url,
        format,
        on_escalate,
    }
}

/// Remembers what it was asked to send, and delivers it.
#[derive(Default)]
struct Recording(Mutex<Vec<(String, String, bool)>>);

impl Recording {
    fn sent(&self) -> Vec<(String, String, bool)> {
        self.0.lock().unwrap().clone()
    }
}

#[async_trait]
impl Notifier for Recording {
    async fn send(&self, channel: &NotifyChannel, message: &Message<'_>) -> Result<String, NotifyError> {
        self.0
            .lock()
            .unwrap()
            .push((channel.name.clone(), message.text.to_string(), message.dry_run));
        Ok("delivered (200 OK)".into())
    }
}

/// A simulated cluster, an incident, and an executor over them.
struct Setup {
    cluster: Arc<SimCluster>,
    incident: Incident,
    settings: ActionSettings,
    notifier: Arc<Recording>,
}

impl Setup {
    fn on(kind: TargetKind, namespace: Option<&str>, name: &str) -> Setup {
        Setup {
            cluster: Arc::new(SimCluster::from_yaml_at(CLUSTER, now()).unwrap()),
            incident: incident(kind, namespace, name),
            settings: ActionSettings {
                notify: vec![
                    channel("ops", None, NotifyFormat::Slack, false),
                    channel("pager", None, NotifyFormat::Json, true),
                ],
                ..ActionSettings::default()
            },
            notifier: Arc::new(Recording::default()),
        }
    }

    fn executor(&self) -> Executor {
        Executor::new(
            self.cluster.clone(),
            self.notifier.clone(),
            self.settings.clone(),
            Arc::new(Metrics::new()),
        )
    }

    async fn plan(&self, name: &str, params: Value) -> Plan {
        let context = Context::default();
        let input = PlanInput {
            incident: &self.incident,
            context: &context,
            target: None,
            cluster: self.cluster.as_ref(),
            bounds: &Bounds::default(),
            settings: &self.settings,
        };
        Action::from_parts(name, params).unwrap().plan(&input).await.unwrap()
    }

    async fn run(&self, name: &str, params: Value, verdict: &Verdict) -> Outcome {
        let plan = self.plan(name, params).await;
        execute(&self.executor(), &self.incident, verdict, plan).await
    }
}
