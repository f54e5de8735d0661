//! The built-in rule pack for the common kubernetes-mixin alerts.
//!
//! The rules live in `config/rules/builtin.yaml`, embedded in the binary, so users can
//! read them and copy any rule into their own `rules:` to change it. They use the cluster
//! context to pick the remedy the evidence supports (more memory for an OOMKilled
//! container, a rollback right after a bad rollout) and escalate when the evidence is
//! unclear or the right action does not exist yet.
//!
//! The pack may reference only actions of today's catalog, and must stay valid per
//! [`super::validate::validate_rules`]; the tests below hold it to both, and run every
//! rule against a realistic incident and context.

use serde::Deserialize;

use super::spec::RuleSpec;

/// The built-in pack as YAML (a `rules:` list in the configuration file's format).
pub const BUILTIN_YAML: &str = include_str!("../../../config/rules/builtin.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pack {
    rules: Vec<RuleSpec>,
}

/// The built-in rules, in order.
pub fn rules() -> Vec<RuleSpec> {
    serde_yaml_ng::from_str::<Pack>(BUILTIN_YAML)
        .unwrap_or_else(|e| panic!("config/rules/builtin.yaml does not parse (a test checks it does): {e}"))
        .rules
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, ActionKind, IncreaseResources, RestartPod, RollbackDeployment, RolloutRestart};
    use crate::cluster::ObjectRef;
    use crate::context::{ContainerFacts, Context, EventFacts, NodeFacts, PodFacts, WorkloadFacts};
    use crate::decide::Decision;
    use crate::decide::rules::matcher::tests::incident;
    use crate::decide::rules::validate::validate_rules;
    use crate::decide::rules::{OneOrMany, RulesDecider};

    // ---- fixtures ------------------------------------------------------------------

    /// A context built like sentences: `Ctx::pod("shop", "api-6f-x1").of_deployment("api").oom("api", 5)`.
    #[derive(Clone)]
    struct Ctx(Context);

    fn container(name: &str) -> ContainerFacts {
        ContainerFacts {
            name: name.into(),
            ready: true,
            restart_count: 0,
            waiting_reason: None,
            waiting_message: None,
            last_termination_reason: None,
            last_exit_code: None,
            image: Some(format!("registry.example/{name}:1.4.2")),
            memory_limit: Some("256Mi".into()),
            cpu_limit: Some("500m".into()),
        }
    }

    fn workload(kind: &str, ns: &str, name: &str) -> WorkloadFacts {
        WorkloadFacts {
            reference: ObjectRef::namespaced(kind, ns, name),
            replicas: Some(3),
            ready_replicas: Some(3),
            available_replicas: Some(3),
            revision: (kind == "Deployment").then_some(7),
            previous_revision: (kind == "Deployment").then_some(6),
            revision_age_seconds: (kind == "Deployment").then_some(12 * 86_400),
            paused: false,
            progressing_reason: (kind == "Deployment").then(|| "NewReplicaSetAvailable".into()),
        }
    }

    impl Ctx {
        /// A running, ready pod with one container `api`, found in the cluster.
        fn pod(ns: &str, name: &str) -> Ctx {
            Ctx(Context {
                target: Some(ObjectRef::namespaced("Pod", ns, name)),
                target_found: true,
                pods: vec![PodFacts {
                    name: name.into(),
                    phase: Some("Running".into()),
                    ready: true,
                    node: Some("worker-2".into()),
                    terminating: false,
                    containers: vec![container("api")],
                }],
                ..Context::default()
            })
        }

        /// A workload found in the cluster, with one ready pod.
        fn workload(kind: &str, ns: &str, name: &str) -> Ctx {
            let mut c = Ctx::pod(ns, &format!("{name}-6f9c-x1"));
            c.0.target = Some(ObjectRef::namespaced(kind, ns, name));
            c.0.workload = Some(workload(kind, ns, name));
            c
        }

        /// The pod belongs to a Deployment (through a ReplicaSet).
        fn of_deployment(mut self, name: &str) -> Ctx {
            let ns = self.ns();
            self.0.owners = vec![
                ObjectRef::namespaced("ReplicaSet", &ns, &format!("{name}-6f9c")),
                ObjectRef::namespaced("Deployment", &ns, name),
            ];
            self.0.workload = Some(workload("Deployment", &ns, name));
            self
        }

        fn of(mut self, kind: &str, name: &str) -> Ctx {
            let ns = self.ns();
            self.0.owners = vec![ObjectRef::namespaced(kind, &ns, name)];
            self.0.workload = Some(workload(kind, &ns, name));
            self
        }

        fn ns(&self) -> String {
            self.0
                .target
                .as_ref()
                .and_then(|t| t.namespace.clone())
                .unwrap_or_default()
        }

        fn first_container(&mut self) -> &mut ContainerFacts {
            &mut self.0.pods[0].containers[0]
        }

        fn not_ready(mut self) -> Ctx {
            self.0.pods[0].ready = false;
            self.first_container().ready = false;
            if let Some(w) = self.0.workload.as_mut() {
                w.ready_replicas = Some(w.replicas.unwrap_or(1) - 1);
                w.available_replicas = w.ready_replicas;
            }
            self
        }

        /// The container was OOMKilled and restarted `restarts` times.
        fn oom(mut self, restarts: i32) -> Ctx {
            self = self.crash_looping(restarts);
            let c = self.first_container();
            c.last_termination_reason = Some("OOMKilled".into());
            c.last_exit_code = Some(137);
            self
        }

        /// The container exits with an error and waits in CrashLoopBackOff.
        fn crash_looping(mut self, restarts: i32) -> Ctx {
            self = self.not_ready();
            let c = self.first_container();
            c.restart_count = restarts;
            c.waiting_reason = Some("CrashLoopBackOff".into());
            c.waiting_message = Some("back-off 5m0s restarting failed container".into());
            c.last_termination_reason = Some("Error".into());
            c.last_exit_code = Some(1);
            self
        }

        fn waiting(mut self, reason: &str) -> Ctx {
            self = self.not_ready();
            let c = self.first_container();
            c.waiting_reason = Some(reason.into());
            c.waiting_message = Some(format!("{reason}: see events"));
            self
        }

        /// The current revision rolled out `minutes` ago.
        fn rolled_out_minutes_ago(mut self, minutes: i64) -> Ctx {
            if let Some(w) = self.0.workload.as_mut() {
                w.revision_age_seconds = Some(minutes * 60);
            }
            self
        }

        fn first_revision(mut self) -> Ctx {
            if let Some(w) = self.0.workload.as_mut() {
                w.revision = Some(1);
                w.previous_revision = None;
            }
            self
        }

        fn progress_deadline_exceeded(mut self) -> Ctx {
            if let Some(w) = self.0.workload.as_mut() {
                w.progressing_reason = Some("ProgressDeadlineExceeded".into());
            }
            self
        }

        fn pending_unschedulable(mut self) -> Ctx {
            self = self.not_ready();
            self.0.pods[0].phase = Some("Pending".into());
            self.0.pods[0].node = None;
            let pod = self.0.pods[0].name.clone();
            self.0.events.push(EventFacts {
                object: format!("pod/{pod}"),
                type_: "Warning".into(),
                reason: "FailedScheduling".into(),
                message: "0/3 nodes are available: 3 Insufficient memory.".into(),
                count: 12,
                last_seen: None,
            });
            self
        }

        fn on_node(mut self, ready: bool) -> Ctx {
            self.0.node = Some(NodeFacts {
                name: "worker-2".into(),
                ready,
                unschedulable: false,
                conditions: vec![if ready {
                    "Ready=True (KubeletReady)".into()
                } else {
                    "Ready=Unknown (NodeStatusUnknown)".into()
                }],
            });
            self
        }

        fn gone(mut self) -> Ctx {
            self.0.target_found = false;
            self.0.pods.clear();
            self.0.owners.clear();
            self.0.workload = None;
            self
        }
    }

    // Label sets as the kubernetes-mixin alerts produce them.
    const CRASH: &str = "alertname: KubePodCrashLooping, namespace: shop, pod: api-6f9c-x1, container: api, \
                         reason: CrashLoopBackOff, job: kube-state-metrics, service: kube-state-metrics, \
                         endpoint: http, instance: '10.0.3.7:8080', uid: 4c1d, severity: warning";
    const NOT_READY: &str = "alertname: KubePodNotReady, namespace: shop, pod: api-6f9c-x1, severity: warning";
    const WAITING: &str = "alertname: KubeContainerWaiting, namespace: shop, pod: api-6f9c-x1, container: api, \
                           job: kube-state-metrics, severity: warning";
    const MISMATCH: &str = "alertname: KubeDeploymentReplicasMismatch, namespace: shop, deployment: api, \
                            job: kube-state-metrics, severity: warning";
    const STUCK: &str = "alertname: KubeDeploymentRolloutStuck, namespace: shop, deployment: api, \
                         condition: Progressing, status: 'false', job: kube-state-metrics, severity: warning";
    const HPA: &str = "alertname: KubeHpaMaxedOut, namespace: shop, horizontalpodautoscaler: api, \
                       job: kube-state-metrics, severity: warning";
    const PVC: &str = "alertname: KubePersistentVolumeFillingUp, namespace: db, persistentvolumeclaim: data-pg-0, \
                       job: kubelet, metrics_path: /metrics, instance: '10.0.1.4:10250', severity: critical";
    const NODE: &str = "alertname: KubeNodeNotReady, node: worker-2, condition: Ready, status: 'true', \
                        job: kube-state-metrics, instance: '10.0.3.7:8080', severity: warning";
    const JOB: &str = "alertname: KubeJobFailed, namespace: batch, job_name: report-28911, condition: 'true', \
                       job: kube-state-metrics, severity: warning";
    const THROTTLE: &str = "alertname: CPUThrottlingHigh, namespace: shop, pod: api-6f9c-x1, container: api, \
                            severity: info";
    const MEM_OVERCOMMIT: &str = "alertname: KubeMemoryOvercommit, severity: warning";
    const CPU_OVERCOMMIT: &str = "alertname: KubeCPUOvercommit, severity: warning";
    const STS: &str = "alertname: KubeStatefulSetReplicasMismatch, namespace: db, statefulset: pg, \
                       job: kube-state-metrics, severity: warning";
    const DS: &str = "alertname: KubeDaemonSetRolloutStuck, namespace: logging, daemonset: fluent-bit, \
                      job: kube-state-metrics, severity: warning";

    fn decide(labels: &str, ctx: &Ctx) -> Decision {
        RulesDecider::builtin()
            .decide_with(&incident(labels), &ctx.0, &|_| None)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no built-in rule for {labels}"))
    }

    /// Asserts the rule, the action and the target; returns the decision.
    fn expect(labels: &str, ctx: &Ctx, rule: &str, action: Action, target: Option<&str>) -> Decision {
        let d = decide(labels, ctx);
        assert_eq!(d.decided_by.decider, "builtin-rules");
        assert_eq!(d.decided_by.name, rule, "rationale: {}", d.rationale);
        assert_eq!(d.action, action, "rule {rule}");
        assert_eq!(
            d.target.as_ref().map(ToString::to_string).as_deref(),
            target,
            "rule {rule}"
        );
        assert!((0.0..=1.0).contains(&d.confidence));
        d
    }

    fn escalates(labels: &str, ctx: &Ctx, rule: &str, target: Option<&str>) -> Decision {
        let d = decide(labels, ctx);
        assert_eq!(d.decided_by.name, rule, "rationale: {}", d.rationale);
        assert_eq!(d.action.kind(), ActionKind::Escalate, "rule {rule}");
        assert_eq!(
            d.target.as_ref().map(ToString::to_string).as_deref(),
            target,
            "rule {rule}"
        );
        let reason = d.action.params_json()["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(reason.len() > 20, "rule {rule} escalates without a reason");
        d
    }

    fn rollback() -> Action {
        Action::RollbackDeployment(RollbackDeployment::default())
    }

    fn crash_pod() -> Ctx {
        Ctx::pod("shop", "api-6f9c-x1").of_deployment("api")
    }

    // ---- the pack as a whole -------------------------------------------------------

    #[test]
    fn pack_is_valid_and_uses_only_catalog_actions() {
        let rules = rules();
        assert!(rules.len() >= 20);
        assert_eq!(validate_rules(&rules, "builtin"), vec![]);
        for r in &rules {
            assert!(ActionKind::parse(&r.action).is_some(), "{}", r.name);
            for a in &r.alternatives {
                assert!(ActionKind::parse(&a.action).is_some(), "{}", r.name);
            }
        }
    }

    #[test]
    fn every_rule_cites_the_runbooks_of_its_alerts() {
        for r in rules() {
            let description = r.description.as_deref().unwrap_or_default();
            let names = match &r.matches.alertname {
                Some(OneOrMany::One(n)) => vec![n.clone()],
                Some(OneOrMany::Many(v)) => v.clone(),
                None => panic!("built-in rule {} matches every alert", r.name),
            };
            for n in names {
                let url = format!(
                    "https://runbooks.prometheus-operator.dev/runbooks/kubernetes/{}",
                    n.to_lowercase()
                );
                assert!(description.contains(&url), "rule {} does not cite {url}", r.name);
            }
        }
    }

    // ---- KubePodCrashLooping -------------------------------------------------------

    #[test]
    fn crashloop_oomkilled_raises_memory_of_the_workload() {
        let d = expect(
            CRASH,
            &crash_pod().oom(5),
            "oomkilled-more-memory",
            Action::IncreaseResources(IncreaseResources {
                container: Some("api".into()),
                memory_factor: Some(1.5),
                ..IncreaseResources::default()
            }),
            Some("deployment/shop/api"),
        );
        assert!(
            d.rationale
                .contains("container api (pod api-6f9c-x1) last terminated OOMKilled (exit 137)"),
            "{}",
            d.rationale
        );
        assert!(
            d.rationale.starts_with("Container api of Deployment api was OOMKilled"),
            "{}",
            d.rationale
        );
    }

    #[test]
    fn crashloop_oomkilled_in_a_bare_pod_escalates() {
        let bare = Ctx::pod("shop", "api-6f9c-x1").oom(5);
        escalates(CRASH, &bare, "crashloop-persistent", Some("pod/shop/api-6f9c-x1"));
    }

    #[test]
    fn crashloop_after_a_recent_rollout_rolls_back() {
        let d = expect(
            CRASH,
            &crash_pod().crash_looping(4).rolled_out_minutes_ago(25),
            "crashloop-after-rollout",
            rollback(),
            Some("deployment/shop/api"),
        );
        assert!(
            d.rationale.contains("revision 7 of deployment/shop/api is 25m old"),
            "{}",
            d.rationale
        );
    }

    #[test]
    fn crashloop_after_a_first_rollout_cannot_roll_back_and_escalates() {
        let ctx = crash_pod().crash_looping(4).rolled_out_minutes_ago(25).first_revision();
        escalates(CRASH, &ctx, "crashloop-persistent", Some("pod/shop/api-6f9c-x1"));
    }

    #[test]
    fn crashloop_without_oom_or_rollout_escalates_instead_of_restarting() {
        let d = escalates(
            CRASH,
            &crash_pod().crash_looping(6),
            "crashloop-persistent",
            Some("pod/shop/api-6f9c-x1"),
        );
        assert!(d.rationale.contains("restarted 6 times"), "{}", d.rationale);
        assert!(
            d.action.params_json()["reason"]
                .as_str()
                .unwrap()
                .contains("re-run the same failure")
        );
    }

    #[test]
    fn crashloop_without_context_escalates() {
        escalates(CRASH, &crash_pod().gone(), "crashloop", Some("pod/shop/api-6f9c-x1"));
    }

    // ---- image and configuration errors --------------------------------------------

    #[test]
    fn image_pull_error_after_a_rollout_rolls_back() {
        for reason in [
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
            "InvalidImageName",
        ] {
            let ctx = crash_pod().waiting(reason).rolled_out_minutes_ago(10);
            let d = expect(
                WAITING,
                &ctx,
                "bad-image-or-config-after-rollout",
                rollback(),
                Some("deployment/shop/api"),
            );
            assert!(d.rationale.contains(reason), "{}", d.rationale);
        }
        let ctx = Ctx::workload("Deployment", "shop", "api")
            .waiting("ImagePullBackOff")
            .rolled_out_minutes_ago(10);
        expect(
            MISMATCH,
            &ctx,
            "bad-image-or-config-after-rollout",
            rollback(),
            Some("deployment/shop/api"),
        );
    }

    #[test]
    fn image_pull_error_without_a_recent_rollout_escalates() {
        let d = escalates(
            WAITING,
            &crash_pod().waiting("ImagePullBackOff"),
            "bad-image-or-config",
            Some("pod/shop/api-6f9c-x1"),
        );
        assert!(
            d.action.params_json()["reason"]
                .as_str()
                .unwrap()
                .contains("will not fix")
        );
        escalates(
            NOT_READY,
            &crash_pod().waiting("CreateContainerConfigError"),
            "bad-image-or-config",
            Some("pod/shop/api-6f9c-x1"),
        );
    }

    // ---- KubeContainerWaiting ------------------------------------------------------

    #[test]
    fn container_waiting_by_reason() {
        escalates(
            WAITING,
            &crash_pod().waiting("ContainerCreating"),
            "container-stuck-creating",
            Some("pod/shop/api-6f9c-x1"),
        );
        let d = escalates(
            &format!("{WAITING}, reason: CreateContainerError"),
            &crash_pod().waiting("CreateContainerError"),
            "container-waiting",
            Some("pod/shop/api-6f9c-x1"),
        );
        assert!(d.rationale.contains("(CreateContainerError)"), "{}", d.rationale);
        // OOMKilled and now in back-off: more memory, as for the crash loop alert
        expect(
            WAITING,
            &crash_pod().oom(3),
            "oomkilled-more-memory",
            Action::IncreaseResources(IncreaseResources {
                container: Some("api".into()),
                memory_factor: Some(1.5),
                ..IncreaseResources::default()
            }),
            Some("deployment/shop/api"),
        );
    }

    // ---- KubePodNotReady -----------------------------------------------------------

    #[test]
    fn pod_not_ready_owned_by_a_controller_is_restarted() {
        let d = expect(
            NOT_READY,
            &crash_pod().not_ready(),
            "pod-not-ready-restart",
            Action::RestartPod(RestartPod { force: false }),
            Some("pod/shop/api-6f9c-x1"),
        );
        assert!(d.rationale.contains("owned by deployment/shop/api"), "{}", d.rationale);
    }

    #[test]
    fn pod_not_ready_without_controller_escalates() {
        escalates(
            NOT_READY,
            &Ctx::pod("shop", "api-6f9c-x1").not_ready(),
            "pod-not-ready",
            Some("pod/shop/api-6f9c-x1"),
        );
        // a Job's pod: deleting it would count as a failure of the Job
        let job_pod = Ctx::pod("shop", "api-6f9c-x1").of("Job", "migrate").not_ready();
        escalates(NOT_READY, &job_pod, "pod-not-ready", Some("pod/shop/api-6f9c-x1"));
    }

    #[test]
    fn pod_not_ready_unschedulable_or_on_a_down_node_escalates() {
        let d = escalates(
            NOT_READY,
            &crash_pod().pending_unschedulable(),
            "pods-cannot-be-placed",
            Some("pod/shop/api-6f9c-x1"),
        );
        assert!(d.rationale.contains("Insufficient memory"), "{}", d.rationale);
        escalates(
            NOT_READY,
            &crash_pod().not_ready().on_node(false),
            "pod-not-ready-node-down",
            Some("pod/shop/api-6f9c-x1"),
        );
        // a Ready node does not stop the restart
        assert_eq!(
            decide(NOT_READY, &crash_pod().not_ready().on_node(true))
                .decided_by
                .name,
            "pod-not-ready-restart"
        );
    }

    // ---- KubeDeploymentReplicasMismatch --------------------------------------------

    fn deployment() -> Ctx {
        Ctx::workload("Deployment", "shop", "api")
    }

    #[test]
    fn replicas_mismatch_with_failed_scheduling_escalates_for_capacity() {
        escalates(
            MISMATCH,
            &deployment().pending_unschedulable(),
            "pods-cannot-be-placed",
            Some("deployment/shop/api"),
        );
    }

    #[test]
    fn replicas_mismatch_with_running_unready_pods_is_rollout_restarted() {
        let d = expect(
            MISMATCH,
            &deployment().not_ready(),
            "deployment-replicas-not-ready-restart",
            Action::RolloutRestart(RolloutRestart {}),
            Some("deployment/shop/api"),
        );
        assert!(
            d.rationale.contains("2 of 3 replicas of deployment/shop/api ready"),
            "{}",
            d.rationale
        );
        assert!(d.confidence < 0.7);
    }

    #[test]
    fn replicas_mismatch_with_crashing_pods() {
        expect(
            MISMATCH,
            &deployment().crash_looping(5).rolled_out_minutes_ago(30),
            "deployment-crashloop-after-rollout",
            rollback(),
            Some("deployment/shop/api"),
        );
        escalates(
            MISMATCH,
            &deployment().crash_looping(5),
            "workload-pods-crashlooping",
            Some("deployment/shop/api"),
        );
    }

    #[test]
    fn replicas_mismatch_healed_or_unknown_escalates() {
        escalates(
            MISMATCH,
            &deployment(),
            "deployment-replicas-mismatch",
            Some("deployment/shop/api"),
        );
        escalates(
            MISMATCH,
            &deployment().gone(),
            "deployment-replicas-mismatch",
            Some("deployment/shop/api"),
        );
    }

    // ---- KubeDeploymentRolloutStuck ------------------------------------------------

    #[test]
    fn rollout_stuck_past_deadline_rolls_back() {
        let d = expect(
            STUCK,
            &deployment()
                .not_ready()
                .progress_deadline_exceeded()
                .rolled_out_minutes_ago(40),
            "rollout-stuck-rollback",
            rollback(),
            Some("deployment/shop/api"),
        );
        assert!(d.rationale.contains("ProgressDeadlineExceeded"), "{}", d.rationale);
    }

    #[test]
    fn rollout_stuck_without_previous_revision_escalates() {
        let ctx = deployment().not_ready().progress_deadline_exceeded().first_revision();
        escalates(STUCK, &ctx, "deployment-rollout-stuck", Some("deployment/shop/api"));
    }

    // ---- other workloads -----------------------------------------------------------

    #[test]
    fn statefulset_replicas_mismatch_escalates() {
        let sts = Ctx::workload("StatefulSet", "db", "pg").not_ready();
        escalates(STS, &sts, "statefulset-replicas-mismatch", Some("statefulset/db/pg"));
    }

    #[test]
    fn daemonset_rollout_stuck() {
        let ds = Ctx::workload("DaemonSet", "logging", "fluent-bit").not_ready();
        expect(
            DS,
            &ds,
            "daemonset-rollout-restart",
            Action::RolloutRestart(RolloutRestart {}),
            Some("daemonset/logging/fluent-bit"),
        );
        escalates(
            DS,
            &ds.clone().pending_unschedulable(),
            "pods-cannot-be-placed",
            Some("daemonset/logging/fluent-bit"),
        );
        escalates(
            DS,
            &ds.clone().crash_looping(9),
            "workload-pods-crashlooping",
            Some("daemonset/logging/fluent-bit"),
        );
        escalates(
            DS,
            &ds.gone(),
            "daemonset-rollout-stuck",
            Some("daemonset/logging/fluent-bit"),
        );
    }

    // ---- resources -----------------------------------------------------------------

    #[test]
    fn cpu_throttling_raises_cpu_of_the_workload() {
        expect(
            THROTTLE,
            &crash_pod(),
            "cpu-throttling-more-cpu",
            Action::IncreaseResources(IncreaseResources {
                container: Some("api".into()),
                cpu_factor: Some(1.5),
                ..IncreaseResources::default()
            }),
            Some("deployment/shop/api"),
        );
        escalates(
            THROTTLE,
            &Ctx::pod("shop", "api-6f9c-x1"),
            "cpu-throttling",
            Some("pod/shop/api-6f9c-x1"),
        );
    }

    #[test]
    fn overcommit_escalates_without_target() {
        escalates(MEM_OVERCOMMIT, &Ctx(Context::default()), "cluster-overcommitted", None);
        escalates(CPU_OVERCOMMIT, &Ctx(Context::default()), "cluster-overcommitted", None);
    }

    // ---- actions that do not exist yet: escalate and say so ------------------------

    #[test]
    fn hpa_maxed_out_escalates_naming_update_hpa() {
        let d = escalates(
            HPA,
            &Ctx(Context::default()),
            "hpa-maxed-out",
            Some("horizontalpodautoscaler/shop/api"),
        );
        assert!(d.rationale.contains("update_hpa"), "{}", d.rationale);
        assert!(
            d.rationale.starts_with("HPA api in shop is maxed out"),
            "{}",
            d.rationale
        );
    }

    #[test]
    fn pvc_filling_up_escalates_naming_expand_pvc() {
        let d = escalates(
            PVC,
            &Ctx(Context::default()),
            "pvc-filling-up",
            Some("persistentvolumeclaim/db/data-pg-0"),
        );
        assert!(d.rationale.contains("expand_pvc"), "{}", d.rationale);
    }

    #[test]
    fn node_not_ready_escalates_on_the_node() {
        let ctx = Ctx(Context {
            target: Some(ObjectRef::cluster_scoped("Node", "worker-2")),
            target_found: true,
            ..Context::default()
        })
        .on_node(false);
        let d = escalates(NODE, &ctx, "node-not-ready", Some("node/worker-2"));
        assert!(d.rationale.contains("cordon/drain"), "{}", d.rationale);
    }

    #[test]
    fn job_failed_escalates_naming_retry_job() {
        let d = escalates(
            JOB,
            &Ctx(Context::default()),
            "job-failed",
            Some("job/batch/report-28911"),
        );
        assert!(d.rationale.contains("retry_job"), "{}", d.rationale);
    }

    #[test]
    fn unknown_alerts_pass_to_the_next_decider() {
        let none = RulesDecider::builtin()
            .decide_with(
                &incident("alertname: Watchdog, severity: none"),
                &Context::default(),
                &|_| None,
            )
            .unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn history_skip_falls_through_to_the_next_rule() {
        // increase_resources judged ineffective: the OOM rule's alternatives need it too,
        // so its escalate alternative answers.
        let skip = |a: &str| (a == "increase_resources").then(|| "mean score 0.3 after 3 attempts".to_string());
        let d = RulesDecider::builtin()
            .decide_with(&incident(CRASH), &crash_pod().oom(5).0, &skip)
            .unwrap()
            .unwrap();
        assert_eq!(d.decided_by.name, "oomkilled-more-memory");
        assert_eq!(d.action.kind(), ActionKind::Escalate);
        assert_eq!(d.alternatives.len(), 2, "{:?}", d.alternatives);
        assert!(d.alternatives[0].contains("mean score 0.3"));
    }
}
