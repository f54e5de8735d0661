//! The model's investigation tools: read-only, bounded, scoped to the incident.
//!
//! `get_object`, `list_events`, `tail_logs` and `describe_node` read the cluster through
//! [`ReadOnlyCluster`], which exposes the [`Cluster`] trait's reads and nothing else: the
//! LLM can never reach `apply`. `history_stats` and `similar_incidents` answer from the
//! context gathered before deciding; `promql_query` runs an instant query against the
//! configured Prometheus (offered only when one is). Namespaced reads are limited to the
//! incident's namespaces; Secrets are never read. The text returned here is raw: the
//! decider redacts, anonymizes, cuts and fences it before the model sees it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::allowed::{KINDS, canonical_kind};
use super::provider::ToolSpec;
use super::sanitize::redact_json;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef};

/// `get_object`.
pub const GET_OBJECT: &str = "get_object";
/// `list_events`.
pub const LIST_EVENTS: &str = "list_events";
/// `tail_logs`.
pub const TAIL_LOGS: &str = "tail_logs";
/// `describe_node`.
pub const DESCRIBE_NODE: &str = "describe_node";
/// `history_stats`.
pub const HISTORY_STATS: &str = "history_stats";
/// `similar_incidents`.
pub const SIMILAR_INCIDENTS: &str = "similar_incidents";
/// `promql_query`.
pub const PROMQL_QUERY: &str = "promql_query";

/// Read access to a cluster and nothing else.
#[derive(Clone)]
pub struct ReadOnlyCluster(Arc<dyn Cluster>);

impl ReadOnlyCluster {
    /// Wraps a cluster; only its reads are reachable through the wrapper.
    pub fn new(cluster: Arc<dyn Cluster>) -> Self {
        ReadOnlyCluster(cluster)
    }

    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        self.0.get(r).await
    }

    async fn events(&self, r: &ObjectRef) -> Result<Vec<k8s_openapi::api::core::v1::Event>, ClusterError> {
        self.0.events(r).await
    }

    async fn log_tail(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max: usize,
    ) -> Result<Option<String>, ClusterError> {
        self.0.log_tail(ns, pod, container, previous, max).await
    }
}

/// A read-only Prometheus client for instant queries.
#[derive(Debug, Clone)]
pub struct Prometheus {
    url: String,
    client: reqwest::Client,
}

impl Prometheus {
    /// A client for the Prometheus at `url` (queries time out after 10 seconds).
    pub fn new(url: &str) -> Result<Self, reqwest::Error> {
        Ok(Prometheus {
            url: url.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?,
        })
    }

    async fn query(&self, query: &str) -> Result<String, String> {
        let response = self
            .client
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", query)])
            .send()
            .await
            .map_err(|e| format!("Prometheus at {} cannot be reached: {e}", self.url))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("Prometheus answered HTTP {status} with a body that is not JSON: {e}"))?;
        if body.get("status").and_then(Value::as_str) != Some("success") {
            return Err(format!(
                "Prometheus refused the query (HTTP {status}): {}",
                body.get("error").and_then(Value::as_str).unwrap_or("no error message")
            ));
        }
        Ok(serde_json::to_string_pretty(&body["data"]).unwrap_or_default())
    }
}

/// Which end of a long result matters (the cut keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Objects and query results: the start.
    Head,
    /// Logs and events: the end (newest).
    Tail,
}

/// A tool's raw answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    /// The text (an error's explanation when `error` is set).
    pub text: String,
    /// Which end to keep when cutting.
    pub keep: Keep,
    /// Objects the result showed (they may be targeted).
    pub seen: Vec<ObjectRef>,
    /// Set when the call failed or was refused.
    pub error: Option<String>,
}

impl ToolOutput {
    fn ok(text: String, keep: Keep, seen: Vec<ObjectRef>) -> Self {
        ToolOutput {
            text,
            keep,
            seen,
            error: None,
        }
    }

    fn refused(why: impl Into<String>) -> Self {
        let why = why.into();
        ToolOutput {
            text: format!("error: {why}"),
            keep: Keep::Head,
            seen: Vec::new(),
            error: Some(why),
        }
    }
}

/// What one decision's tool calls may see.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    /// Namespaces namespaced reads may touch.
    pub namespaces: BTreeSet<String>,
    /// The namespace used when a call gives none.
    pub default_namespace: Option<String>,
    /// The context's history statistics.
    pub history: Option<Value>,
    /// The context's similar incidents.
    pub similar: Option<Value>,
}

/// The investigation tools available to a decider.
#[derive(Clone, Default)]
pub struct Toolbox {
    cluster: Option<ReadOnlyCluster>,
    prometheus: Option<Prometheus>,
}

fn object_args(kind_required: bool) -> Value {
    let kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    let mut required = vec!["name"];
    if kind_required {
        required.insert(0, "kind");
    }
    json!({
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": kinds},
            "namespace": {"type": "string", "description": "Default: the incident's namespace."},
            "name": {"type": "string"}
        },
        "required": required,
        "additionalProperties": false
    })
}

fn no_args() -> Value {
    json!({"type": "object", "properties": {}, "additionalProperties": false})
}

fn text_arg<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Toolbox {
    /// Tools reading `cluster` (if any) and `prometheus` (if any); history and similar
    /// incidents are always available.
    pub fn new(cluster: Option<ReadOnlyCluster>, prometheus: Option<Prometheus>) -> Self {
        Toolbox { cluster, prometheus }
    }

    /// The tools' specifications, for the request.
    pub fn specs(&self) -> Vec<ToolSpec> {
        let spec = |name: &str, description: &str, parameters: Value| ToolSpec {
            name: name.into(),
            description: description.into(),
            parameters,
        };
        let mut out = Vec::new();
        if self.cluster.is_some() {
            out.push(spec(
                GET_OBJECT,
                "Read one Kubernetes object of the incident's namespace (or a cluster-scoped one) as YAML. Secrets are never shown.",
                object_args(true),
            ));
            out.push(spec(
                LIST_EVENTS,
                "List the events of one object, oldest first.",
                object_args(true),
            ));
            out.push(spec(
                TAIL_LOGS,
                "Read the end of a container's log; previous: true for the last crashed instance.",
                json!({
                    "type": "object",
                    "properties": {
                        "pod": {"type": "string"},
                        "namespace": {"type": "string", "description": "Default: the incident's namespace."},
                        "container": {"type": "string", "description": "Default: the pod's only container."},
                        "previous": {"type": "boolean"}
                    },
                    "required": ["pod"],
                    "additionalProperties": false
                }),
            ));
            out.push(spec(
                DESCRIBE_NODE,
                "Describe a node: conditions, taints, capacity, whether it is cordoned.",
                object_args(false),
            ));
        }
        out.push(spec(
            HISTORY_STATS,
            "What medic did before for this kind of incident and how well it worked.",
            no_args(),
        ));
        out.push(spec(
            SIMILAR_INCIDENTS,
            "Past incidents similar to this one, with what was done and the outcome.",
            no_args(),
        ));
        if self.prometheus.is_some() {
            out.push(spec(
                PROMQL_QUERY,
                "Run a PromQL instant query against the cluster's Prometheus (read-only).",
                json!({
                    "type": "object",
                    "properties": {"query": {"type": "string"}},
                    "required": ["query"],
                    "additionalProperties": false
                }),
            ));
        }
        out
    }

    /// Runs one tool call with its (already de-anonymized) arguments.
    pub async fn call(&self, name: &str, args: &Value, scope: &Scope) -> ToolOutput {
        match name {
            HISTORY_STATS => extra(
                &scope.history,
                "medic has no recorded history for this kind of incident",
            ),
            SIMILAR_INCIDENTS => extra(&scope.similar, "no similar past incident is known"),
            PROMQL_QUERY => match (&self.prometheus, text_arg(args, "query")) {
                (None, _) => ToolOutput::refused("no Prometheus is configured"),
                (_, None) => ToolOutput::refused("query is required"),
                (Some(p), Some(q)) => match p.query(q).await {
                    Ok(text) => ToolOutput::ok(text, Keep::Head, Vec::new()),
                    Err(e) => ToolOutput::refused(e),
                },
            },
            GET_OBJECT | LIST_EVENTS | TAIL_LOGS | DESCRIBE_NODE => match &self.cluster {
                None => ToolOutput::refused("no cluster is available to read"),
                Some(c) => match self.cluster_call(c, name, args, scope).await {
                    Ok(out) => out,
                    Err(why) => ToolOutput::refused(why),
                },
            },
            other => ToolOutput::refused(format!("there is no tool named {other:?}")),
        }
    }

    async fn cluster_call(
        &self,
        cluster: &ReadOnlyCluster,
        name: &str,
        args: &Value,
        scope: &Scope,
    ) -> Result<ToolOutput, String> {
        match name {
            GET_OBJECT => {
                let r = object_ref(args, None, scope)?;
                let object = cluster
                    .get(&r)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{r} not found"))?;
                let mut value = object.trimmed().0;
                redact_json(&mut value);
                let yaml = serde_yaml_ng::to_string(&value).map_err(|e| e.to_string())?;
                Ok(ToolOutput::ok(yaml, Keep::Head, vec![object.reference()]))
            }
            LIST_EVENTS => {
                let r = object_ref(args, None, scope)?;
                let events = cluster.events(&r).await.map_err(|e| e.to_string())?;
                if events.is_empty() {
                    return Ok(ToolOutput::ok(format!("no events for {r}"), Keep::Tail, vec![r]));
                }
                let lines: Vec<String> = events.iter().map(event_line).collect();
                Ok(ToolOutput::ok(lines.join("\n"), Keep::Tail, vec![r]))
            }
            TAIL_LOGS => {
                let pod = text_arg(args, "pod").ok_or("pod is required")?;
                let r = object_ref(
                    &json!({"kind": "Pod", "name": pod, "namespace": args.get("namespace")}),
                    None,
                    scope,
                )?;
                let ns = r.namespace.clone().unwrap_or_default();
                let previous = args.get("previous").and_then(Value::as_bool).unwrap_or(false);
                let container = match text_arg(args, "container") {
                    Some(c) => c.to_string(),
                    None => only_container(cluster, &r).await?,
                };
                let text = cluster
                    .log_tail(&ns, pod, &container, previous, 64 * 1024)
                    .await
                    .map_err(|e| e.to_string())?;
                let text = text.unwrap_or_else(|| {
                    format!(
                        "no {}log for container {container} of {r}",
                        if previous { "previous " } else { "" }
                    )
                });
                Ok(ToolOutput::ok(text, Keep::Tail, vec![r]))
            }
            _ => {
                let r = object_ref(args, Some("Node"), scope)?;
                let node = cluster
                    .get(&r)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("{r} not found"))?;
                Ok(ToolOutput::ok(describe_node(&node), Keep::Head, vec![r]))
            }
        }
    }
}

fn extra(value: &Option<Value>, none: &str) -> ToolOutput {
    match value {
        Some(v) => ToolOutput::ok(
            serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()),
            Keep::Head,
            Vec::new(),
        ),
        None => ToolOutput::ok(none.to_string(), Keep::Head, Vec::new()),
    }
}

/// The object named by a call's `kind`, `namespace` and `name`, checked against the scope.
fn object_ref(args: &Value, kind: Option<&str>, scope: &Scope) -> Result<ObjectRef, String> {
    let kind_text = kind.or_else(|| text_arg(args, "kind")).ok_or("kind is required")?;
    if kind_text.eq_ignore_ascii_case("Secret") {
        return Err("Secrets are never read".into());
    }
    let (kind, namespaced) =
        canonical_kind(kind_text).ok_or_else(|| format!("kind {kind_text:?} cannot be read through this tool"))?;
    let name = text_arg(args, "name").ok_or("name is required")?;
    if !namespaced {
        return Ok(ObjectRef {
            kind: Kind::from_type("", kind),
            namespace: None,
            name: name.to_string(),
        });
    }
    let ns = text_arg(args, "namespace")
        .map(str::to_string)
        .or_else(|| scope.default_namespace.clone())
        .ok_or("namespace is required: the incident has none")?;
    if !scope.namespaces.contains(&ns) {
        return Err(format!(
            "namespace {ns} is outside this incident (readable: {})",
            if scope.namespaces.is_empty() {
                "none".to_string()
            } else {
                scope.namespaces.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        ));
    }
    Ok(ObjectRef {
        kind: Kind::from_type("", kind),
        namespace: Some(ns),
        name: name.to_string(),
    })
}

async fn only_container(cluster: &ReadOnlyCluster, pod: &ObjectRef) -> Result<String, String> {
    let object = cluster
        .get(pod)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{pod} not found"))?;
    let names: Vec<String> = object
        .0
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    match names.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!("{pod} has no containers")),
        many => Err(format!(
            "{pod} has several containers; name one of: {}",
            many.join(", ")
        )),
    }
}

fn event_line(e: &k8s_openapi::api::core::v1::Event) -> String {
    let when = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0.to_string())
        .or_else(|| e.event_time.as_ref().map(|t| t.0.to_string()))
        .unwrap_or_else(|| "-".into());
    format!(
        "{when} {} {} x{}: {}",
        e.type_.as_deref().unwrap_or("-"),
        e.reason.as_deref().unwrap_or("-"),
        e.count.unwrap_or(1),
        e.message.as_deref().unwrap_or("").replace('\n', " ")
    )
}

fn describe_node(node: &Object) -> String {
    let v = &node.0;
    let mut lines = vec![format!("node {}", node.name())];
    let unschedulable = v
        .pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    lines.push(format!(
        "schedulable: {}",
        if unschedulable { "no (cordoned)" } else { "yes" }
    ));
    if let Some(taints) = v.pointer("/spec/taints").and_then(Value::as_array) {
        for t in taints {
            let s = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("");
            lines.push(format!("taint {}={}:{}", s("key"), s("value"), s("effect")));
        }
    }
    if let Some(conds) = v.pointer("/status/conditions").and_then(Value::as_array) {
        for c in conds {
            let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or("");
            lines.push(format!(
                "condition {}={} {}: {}",
                s("type"),
                s("status"),
                s("reason"),
                s("message")
            ));
        }
    }
    for what in ["capacity", "allocatable"] {
        if let Some(r) = v.pointer(&format!("/status/{what}")).and_then(Value::as_object) {
            let items: Vec<String> = ["cpu", "memory", "pods", "ephemeral-storage"]
                .iter()
                .filter_map(|k| r.get(*k).and_then(Value::as_str).map(|q| format!("{k}={q}")))
                .collect();
            lines.push(format!("{what}: {}", items.join(", ")));
        }
    }
    if let Some(k) = v.pointer("/status/nodeInfo/kubeletVersion").and_then(Value::as_str) {
        lines.push(format!("kubelet {k}"));
    }
    lines.join("\n")
}
