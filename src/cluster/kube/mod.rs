//! The cluster seam against a real API server, through kube-rs.
//!
//! [`KubeCluster`] turns each [`Cluster`] call into the API request kubectl would send:
//! reads through `Api<DynamicObject>` built from our [`Kind`], writes as one PATCH, DELETE,
//! POST, Eviction or exec (`exec.rs`), with the field manager `medic`. API answers become [`ClusterError`]s in
//! one place (`errors.rs`); log tails are bounded (`logs.rs`).
//!
//! It must not decide, retry or reinterpret: it sends exactly what it is given, once. For
//! that reason the client built by [`KubeCluster::connect`] has kube-rs's own retry of
//! 429/503/504 switched off, so that the executor alone decides about retries.

mod errors;
mod exec;
mod logs;
#[cfg(test)]
pub(crate) mod mock;
#[cfg(test)]
mod mock_exec;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exec;

use std::fmt::Debug;
use std::time::Duration;

use ::kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams, Preconditions, TypeMeta,
};
use ::kube::config::{KubeConfigOptions, Kubeconfig};
use ::kube::{Client, Config};
use async_trait::async_trait;
use k8s_openapi::api::core::v1::{Event, Pod};
use k8s_openapi::api::policy::v1::Eviction;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use super::{Cluster, ClusterError, Kind, Object, ObjectRef, Operation, OperationResult, PatchBody};
use errors::{Call, map_error};

/// The field manager recorded on every change medic makes.
pub const FIELD_MANAGER: &str = "medic";

/// How long one API call may wait for an answer before it counts as unavailable, when the
/// configuration sets no read timeout of its own.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A real cluster, reached through kube-rs.
#[derive(Clone)]
pub struct KubeCluster {
    client: Client,
    description: String,
}

impl KubeCluster {
    /// Connects to a cluster: with `context`, that context of the kubeconfig (`KUBECONFIG` or
    /// `~/.kube/config`); without, the in-cluster service account when running in a pod,
    /// else the kubeconfig's current context.
    ///
    /// No request is sent yet: an unreachable server shows up on the first call.
    pub async fn connect(context: Option<&str>) -> Result<KubeCluster, ClusterError> {
        if let Some(ctx) = context {
            let kubeconfig = Kubeconfig::read().map_err(|e| {
                ClusterError::Unavailable(format!("cannot read the kubeconfig for context {ctx:?}: {e}"))
            })?;
            return KubeCluster::from_kubeconfig(kubeconfig, Some(ctx)).await;
        }
        match Config::incluster() {
            Ok(config) => {
                let description = format!("kube (in-cluster, {})", config.cluster_url);
                KubeCluster::from_config(config, description)
            }
            Err(in_cluster) => {
                let kubeconfig = Kubeconfig::read().map_err(|e| {
                    ClusterError::Unavailable(format!(
                        "no Kubernetes configuration: not in a cluster ({in_cluster}), and no kubeconfig ({e})"
                    ))
                })?;
                KubeCluster::from_kubeconfig(kubeconfig, None).await
            }
        }
    }

    /// Connects through a kubeconfig already loaded: `context`, or its current context.
    pub async fn from_kubeconfig(kubeconfig: Kubeconfig, context: Option<&str>) -> Result<KubeCluster, ClusterError> {
        let name = context
            .map(str::to_string)
            .or_else(|| kubeconfig.current_context.clone())
            .unwrap_or_default();
        let options = KubeConfigOptions {
            context: context.map(str::to_string),
            ..KubeConfigOptions::default()
        };
        let config = Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| ClusterError::Unavailable(format!("kubeconfig context {name:?}: {e}")))?;
        let description = format!("kube (context {name}, {})", config.cluster_url);
        KubeCluster::from_config(config, description)
    }

    /// Builds the client from a configuration, with kube-rs's retries off and a read timeout.
    fn from_config(mut config: Config, description: String) -> Result<KubeCluster, ClusterError> {
        config.default_retry = false;
        config.read_timeout.get_or_insert(READ_TIMEOUT);
        let client = Client::try_from(config)
            .map_err(|e| ClusterError::Unavailable(format!("cannot build a client for {description}: {e}")))?;
        Ok(KubeCluster::from_client(client, description))
    }

    /// Wraps a client built elsewhere (tests, or a caller with its own configuration).
    /// The client should not retry on its own (`Config::default_retry = false`): the
    /// [`Cluster`] contract is one request per call.
    pub fn from_client(client: Client, description: String) -> KubeCluster {
        KubeCluster { client, description }
    }

    /// The underlying client, for callers that need an API medic does not wrap (recording
    /// Kubernetes Events on the objects acted on).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The dynamic API for a kind, in one namespace or across all of them.
    fn dynamic_api(&self, kind: &Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let resource = api_resource(kind);
        match namespace.filter(|_| kind.namespaced) {
            Some(ns) => Api::namespaced_with(self.client.clone(), ns, &resource),
            None => Api::all_with(self.client.clone(), &resource),
        }
    }

    /// The dynamic API that holds `r`; a namespaced kind needs the namespace.
    fn object_api(&self, r: &ObjectRef) -> Result<Api<DynamicObject>, ClusterError> {
        if r.kind.namespaced && r.namespace.is_none() {
            return Err(ClusterError::Unsupported(format!(
                "{r}: a {} lives in a namespace, and none was given",
                r.kind
            )));
        }
        Ok(self.dynamic_api(&r.kind, r.namespace.as_deref()))
    }

    async fn patch(
        &self,
        target: &ObjectRef,
        subresource: Option<&str>,
        body: &PatchBody,
    ) -> Result<OperationResult, ClusterError> {
        let api = self.object_api(target)?;
        let what = match subresource {
            Some(sub) => format!("{target}/{sub}"),
            None => target.to_string(),
        };
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        let name = &target.name;
        let patched = match body {
            PatchBody::Merge(v) => send_patch(&api, name, subresource, &params, &Patch::Merge(v)).await,
            PatchBody::Strategic(v) => send_patch(&api, name, subresource, &params, &Patch::Strategic(v)).await,
            PatchBody::Json(v) => {
                let ops = serde_json::from_value(v.clone()).map_err(|e| ClusterError::Invalid {
                    what: what.clone(),
                    message: format!("malformed JSON patch: {e}"),
                })?;
                send_patch(&api, name, subresource, &params, &Patch::<()>::Json(ops)).await
            }
        }
        .map_err(|e| map_error(e, &what, Call::Other))?;
        Ok(OperationResult {
            object: to_object(patched, &target.kind).ok(),
            message: format!("{} patched", kubectl_name(&target.kind, name)),
            output: None,
        })
    }

    async fn delete(
        &self,
        target: &ObjectRef,
        grace_period_seconds: Option<i64>,
        uid: Option<&str>,
    ) -> Result<OperationResult, ClusterError> {
        let api = self.object_api(target)?;
        let grace_period_seconds =
            grace_period_seconds
                .map(u32::try_from)
                .transpose()
                .map_err(|_| ClusterError::Invalid {
                    what: target.to_string(),
                    message: format!("grace period {grace_period_seconds:?} is not a number of seconds >= 0"),
                })?;
        let params = DeleteParams {
            grace_period_seconds,
            preconditions: uid.map(|uid| Preconditions {
                uid: Some(uid.to_string()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        api.delete(&target.name, &params)
            .await
            .map_err(|e| map_error(e, &target.to_string(), Call::Other))?;
        Ok(OperationResult {
            object: None,
            message: format!("{} deleted", kubectl_name(&target.kind, &target.name)),
            output: None,
        })
    }

    async fn create(&self, object: &Object) -> Result<OperationResult, ClusterError> {
        let target = object.reference();
        let api = self.object_api(&target)?;
        let dynamic: DynamicObject = serde_json::from_value(object.0.clone()).map_err(|e| ClusterError::Invalid {
            what: target.to_string(),
            message: format!("not an object the API accepts: {e}"),
        })?;
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PostParams::default()
        };
        let created = api
            .create(&params, &dynamic)
            .await
            .map_err(|e| map_error(e, &target.to_string(), Call::Other))?;
        Ok(OperationResult {
            object: to_object(created, &target.kind).ok(),
            message: format!("{} created", kubectl_name(&target.kind, &target.name)),
            output: None,
        })
    }

    async fn evict(&self, namespace: &str, pod: &str) -> Result<OperationResult, ClusterError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        let eviction = Eviction {
            metadata: ObjectMeta {
                name: Some(pod.to_string()),
                namespace: Some(namespace.to_string()),
                ..ObjectMeta::default()
            },
            delete_options: None,
        };
        let what = format!("pod/{namespace}/{pod}");
        // The API answers with a `Status` (201 Success); nothing in it is needed.
        let _: serde_json::Value = api
            .create_subresource("eviction", pod, &PostParams::default(), &eviction)
            .await
            .map_err(|e| map_error(e, &what, Call::Evict))?;
        Ok(OperationResult {
            object: None,
            message: format!("pod/{pod} evicted"),
            output: None,
        })
    }
}

#[async_trait]
impl Cluster for KubeCluster {
    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        let found = self
            .object_api(r)?
            .get_opt(&r.name)
            .await
            .map_err(|e| map_error(e, &r.to_string(), Call::Other))?;
        found.map(|o| to_object(o, &r.kind)).transpose()
    }

    async fn list(
        &self,
        kind: &Kind,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Object>, ClusterError> {
        let mut params = ListParams::default();
        if let Some(selector) = label_selector {
            params = params.labels(selector);
        }
        let what = match namespace.filter(|_| kind.namespaced) {
            Some(ns) => format!("{} in namespace {ns}", kind.plural),
            None => kind.plural.clone(),
        };
        let list = self
            .dynamic_api(kind, namespace)
            .list(&params)
            .await
            .map_err(|e| map_error(e, &what, Call::Other))?;
        list.items.into_iter().map(|o| to_object(o, kind)).collect()
    }

    async fn events(&self, r: &ObjectRef) -> Result<Vec<Event>, ClusterError> {
        let mut fields = format!("involvedObject.kind={},involvedObject.name={}", r.kind.kind, r.name);
        let api: Api<Event> = match &r.namespace {
            Some(ns) => {
                fields.push_str(&format!(",involvedObject.namespace={ns}"));
                Api::namespaced(self.client.clone(), ns)
            }
            None => Api::all(self.client.clone()),
        };
        let list = api
            .list(&ListParams::default().fields(&fields))
            .await
            .map_err(|e| map_error(e, &format!("events of {r}"), Call::Other))?;
        let mut events = list.items;
        events.sort_by_key(last_seen);
        Ok(events)
    }

    async fn log_tail(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<Option<String>, ClusterError> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
        logs::tail(&api, namespace, pod, container, previous, max_bytes).await
    }

    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError> {
        match op {
            Operation::Patch {
                target,
                subresource,
                patch,
            } => self.patch(target, subresource.as_deref(), patch).await,
            Operation::Delete {
                target,
                grace_period_seconds,
                uid,
            } => self.delete(target, *grace_period_seconds, uid.as_deref()).await,
            Operation::Create { object } => self.create(object).await,
            Operation::Evict { namespace, pod, .. } => self.evict(namespace, pod).await,
            Operation::Exec {
                namespace,
                pod,
                container,
                command,
                timeout_seconds,
                max_output_bytes,
            } => {
                let api: Api<Pod> = Api::namespaced(self.client.clone(), namespace);
                let call = exec::ExecCall {
                    namespace,
                    pod,
                    container,
                    command,
                    timeout: Duration::from_secs(*timeout_seconds),
                    max_output_bytes: *max_output_bytes,
                };
                exec::exec(&api, &call).await
            }
            Operation::Notify { channel, .. } => Err(ClusterError::Unsupported(format!(
                "notify {channel} is not a cluster call: the executor sends it"
            ))),
        }
    }
}

/// PATCHes an object or one of its subresources.
async fn send_patch<P: Serialize + Debug>(
    api: &Api<DynamicObject>,
    name: &str,
    subresource: Option<&str>,
    params: &PatchParams,
    patch: &Patch<P>,
) -> ::kube::Result<DynamicObject> {
    match subresource {
        Some(sub) => api.patch_subresource(sub, name, params, patch).await,
        None => api.patch(name, params, patch).await,
    }
}

/// kube-rs's description of a kind, from ours.
fn api_resource(kind: &Kind) -> ApiResource {
    ApiResource {
        group: kind.group().to_string(),
        version: kind.version().to_string(),
        api_version: kind.api_version.clone(),
        kind: kind.kind.clone(),
        plural: kind.plural.clone(),
    }
}

/// The object as JSON. List items come without `apiVersion`/`kind` (the list carries
/// them), so they are filled in from the kind asked for.
fn to_object(mut o: DynamicObject, kind: &Kind) -> Result<Object, ClusterError> {
    if o.types
        .as_ref()
        .is_none_or(|t| t.api_version.is_empty() || t.kind.is_empty())
    {
        o.types = Some(TypeMeta {
            api_version: kind.api_version.clone(),
            kind: kind.kind.clone(),
        });
    }
    let value = serde_json::to_value(&o)
        .map_err(|e| ClusterError::Unavailable(format!("the API server returned an unprintable {kind}: {e}")))?;
    Object::new(value).map_err(|e| ClusterError::Unavailable(format!("the API server returned a {kind} that is {e}")))
}

/// `deployment.apps/api`, `pod/api-1`: how kubectl names an object in its messages.
fn kubectl_name(kind: &Kind, name: &str) -> String {
    let k = kind.kind.to_ascii_lowercase();
    match kind.group() {
        "" => format!("{k}/{name}"),
        group => format!("{k}.{group}/{name}"),
    }
}

/// When an event last happened: its last occurrence, else its single time, else when it was
/// recorded. Events without any time sort first.
fn last_seen(e: &Event) -> Option<jiff::Timestamp> {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| {
            e.series
                .as_ref()
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0)
        })
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}
