//! [`Fixture`]: a simulated cluster, an incident about one of its objects and what
//! planning reads besides, with the steps of an action test: plan, apply the plan to the
//! simulated cluster, read the state after.

use serde_json::Value;

use super::clusters::{Scenario, node, now};
use crate::actions::generic::plan_collect_diagnostics_at;
use crate::actions::plan::{Plan, PlanInput};
use crate::actions::pods::plan_delete_stuck_pods_at;
use crate::actions::settings::{NotifyChannel, NotifyFormat};
use crate::actions::workloads::plan_rollout_restart_at;
use crate::actions::{Action, ActionError, ActionSettings, Bounds, target};
use crate::cluster::sim::SimCluster;
use crate::cluster::{Cluster, ClusterError, Kind, Object, ObjectRef, OperationResult};
use crate::context::Context;
use crate::incident::Incident;

/// A cluster, an incident about one of its objects, its context, bounds and settings.
pub struct Fixture {
    /// The simulated cluster, its clock at [`NOW`](super::clusters::NOW).
    pub cluster: SimCluster,
    /// The incident being remedied.
    pub incident: Incident,
    /// Its context (empty: planners follow owners through the cluster).
    pub context: Context,
    /// Parameter bounds (the defaults).
    pub bounds: Bounds,
    /// Settings of the configurable actions (the scenario's).
    pub settings: ActionSettings,
}

impl Fixture {
    /// The scenario's cluster with `incident`.
    pub fn load(scenario: &Scenario, incident: Incident) -> Fixture {
        Fixture {
            cluster: SimCluster::from_yaml_at(scenario.objects, now()).expect("the fixture loads"),
            incident,
            context: Context::default(),
            bounds: Bounds::default(),
            settings: (scenario.settings)(),
        }
    }

    /// The alert names a container too.
    pub fn naming_container(mut self, container: &str) -> Fixture {
        if let Some(t) = self.incident.target.as_mut() {
            t.container = Some(container.into());
        }
        self
    }

    /// Adds a notify channel posting to a port nothing listens on.
    pub fn with_channel(mut self, name: &str, format: NotifyFormat, on_escalate: bool) -> Fixture {
        self.settings.notify.push(NotifyChannel {
            name: name.into(),
            url_env: None,
            url: Some(format!("http://127.0.0.1:9/{name}")),
            format,
            on_escalate,
        });
        self
    }

    /// What planning reads, with `target` as the decision's target.
    pub fn input<'a>(&'a self, target: Option<&'a ObjectRef>) -> PlanInput<'a> {
        PlanInput {
            incident: &self.incident,
            context: &self.context,
            target,
            cluster: &self.cluster,
            bounds: &self.bounds,
            settings: &self.settings,
        }
    }

    /// Plans `action` on the incident's target, as [`Action::plan`] does, with the clock at
    /// [`NOW`](super::clusters::NOW) for the actions that read it.
    pub async fn plan(&self, action: &Action) -> Result<Plan, ActionError> {
        plan_at_now(action, &self.input(None)).await
    }

    /// Plans `action` with `target` as the decision's target.
    pub async fn plan_on(&self, action: &Action, target: &ObjectRef) -> Result<Plan, ActionError> {
        plan_at_now(action, &self.input(Some(target))).await
    }

    /// Plans `action`, which must be possible, and applies its operations.
    pub async fn plan_and_apply(&self, action: &Action) -> Plan {
        let plan = self
            .plan(action)
            .await
            .unwrap_or_else(|e| panic!("planning {} failed: {e}", action.kind().name()));
        self.apply(&plan).await;
        plan
    }

    /// Applies every operation of the plan, in order, and returns the API's answers.
    pub async fn apply(&self, plan: &Plan) -> Vec<OperationResult> {
        let mut results = Vec::new();
        for op in &plan.operations {
            let result = self
                .cluster
                .apply(op)
                .await
                .unwrap_or_else(|e| panic!("applying {} failed: {e}", op.describe()));
            results.push(result);
        }
        results
    }

    /// Applies the plan's only operation, returning the API's answer or error.
    pub async fn try_apply(&self, plan: &Plan) -> Result<OperationResult, ClusterError> {
        assert_eq!(plan.operations.len(), 1, "{:?}", plan.operations);
        self.cluster.apply(&plan.operations[0]).await
    }

    /// Reads one object.
    pub async fn get(&self, r: &ObjectRef) -> Option<Object> {
        self.cluster.get(r).await.expect("the simulated cluster answers")
    }

    /// The objects of `kind` in `shop` matching `selector` (`app=api`), by name.
    pub async fn list(&self, kind: &str, selector: Option<&str>) -> Vec<Object> {
        let mut objects = self
            .cluster
            .list(&Kind::of(kind), Some("shop"), selector)
            .await
            .expect("the simulated cluster answers");
        objects.sort_by(|a, b| a.name().cmp(b.name()));
        objects
    }

    /// The pods of `shop` matching `selector` (`app=api`), by name.
    pub async fn pods(&self, selector: &str) -> Vec<Object> {
        self.list("Pod", Some(selector)).await
    }

    /// A node as it is now.
    pub async fn node(&self, name: &str) -> Object {
        self.get(&node(name)).await.expect("the node exists")
    }

    /// `namespace/name` of every pod on node `name`, sorted.
    pub async fn pods_on(&self, name: &str) -> Vec<String> {
        let mut pods: Vec<String> = self
            .cluster
            .list(&Kind::of("Pod"), None, None)
            .await
            .expect("the simulated cluster answers")
            .iter()
            .filter(|p| p.0.pointer("/spec/nodeName").and_then(Value::as_str) == Some(name))
            .map(|p| format!("{}/{}", p.namespace().unwrap_or_default(), p.name()))
            .collect();
        pods.sort();
        pods
    }
}

/// Plans `action` as [`Action::plan`] does, except that the actions reading the clock
/// read [`NOW`](super::clusters::NOW).
async fn plan_at_now(action: &Action, input: &PlanInput<'_>) -> Result<Plan, ActionError> {
    let resolve = || {
        action.validate(input.bounds)?;
        target::resolve(action.kind(), input)
    };
    match action {
        Action::RolloutRestart(p) => plan_rollout_restart_at(p, resolve()?.as_ref(), input, now()).await,
        Action::DeleteStuckPods(p) => plan_delete_stuck_pods_at(p, resolve()?.as_ref(), input, now()).await,
        Action::CollectDiagnostics(p) => plan_collect_diagnostics_at(p, resolve()?.as_ref(), input, now()).await,
        other => other.plan(input).await,
    }
}
