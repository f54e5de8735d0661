//! Evictions waiting for disruption budgets, on paused tokio time.

use super::*;

/// A simulated cluster whose evictions a disruption budget refuses as scripted: each
/// attempt takes the next answer of `script` (`true`: refused); once it is used up, every
/// attempt is refused when `then_refuse`, else allowed.
struct Budgeted {
    inner: SimCluster,
    script: Mutex<std::collections::VecDeque<bool>>,
    then_refuse: bool,
    attempts: Mutex<Vec<tokio::time::Instant>>,
}

#[async_trait]
impl Cluster for Budgeted {
    fn describe(&self) -> String {
        "budgeted".into()
    }
    async fn get(&self, r: &ObjectRef) -> Result<Option<Object>, ClusterError> {
        self.inner.get(r).await
    }
    async fn list(&self, kind: &Kind, ns: Option<&str>, sel: Option<&str>) -> Result<Vec<Object>, ClusterError> {
        self.inner.list(kind, ns, sel).await
    }
    async fn events(&self, r: &ObjectRef) -> Result<Vec<Event>, ClusterError> {
        self.inner.events(r).await
    }
    async fn log_tail(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<Option<String>, ClusterError> {
        self.inner
            .log_tail(namespace, pod, container, previous, max_bytes)
            .await
    }
    async fn apply(&self, op: &Operation) -> Result<OperationResult, ClusterError> {
        if let Operation::Evict { namespace, pod, .. } = op {
            self.attempts.lock().unwrap().push(tokio::time::Instant::now());
            let refused = self.script.lock().unwrap().pop_front().unwrap_or(self.then_refuse);
            if refused {
                return Err(ClusterError::DisruptionBudget {
                    what: format!("pod/{namespace}/{pod}"),
                    message: "Cannot evict pod as it would violate the pod's disruption budget.".into(),
                });
            }
        }
        self.inner.apply(op).await
    }
}

fn budgeted(script: &[bool], then_refuse: bool) -> Arc<Budgeted> {
    Arc::new(Budgeted {
        inner: SimCluster::from_yaml_at(CLUSTER, now()).unwrap(),
        script: Mutex::new(script.iter().copied().collect()),
        then_refuse,
        attempts: Mutex::new(Vec::new()),
    })
}

async fn first_pod(c: &Budgeted) -> String {
    c.list(&Kind::of("Pod"), Some("shop"), None).await.unwrap()[0]
        .name()
        .to_string()
}

fn eviction_plan(pods: &[&str], wait: u64) -> Plan {
    Plan {
        action: "drain_node".into(),
        target: Some(ObjectRef::cluster_scoped("Node", "worker-1")),
        summary: "drain node/worker-1".into(),
        operations: pods
            .iter()
            .map(|p| Operation::Evict {
                namespace: "shop".into(),
                pod: p.to_string(),
                wait_seconds: Some(wait),
            })
            .collect(),
        changes: Vec::new(),
        notes: Vec::new(),
        artifacts: Vec::new(),
    }
}

fn executor_on(cluster: Arc<Budgeted>) -> Executor {
    Executor::new(
        cluster,
        Arc::new(Recording::default()),
        ActionSettings::default(),
        Arc::new(Metrics::new()),
    )
}

#[tokio::test(start_paused = true)]
async fn a_refused_eviction_is_tried_again_every_five_seconds_until_allowed() {
    let cluster = budgeted(&[true, true], false);
    let pod = first_pod(&cluster).await;
    let start = tokio::time::Instant::now();
    let outcome = execute(
        &executor_on(cluster.clone()),
        &incident(TargetKind::Node, None, "worker-1"),
        &verdict(VerdictKind::Allow, false),
        eviction_plan(&[&pod], 60),
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Executed, "{:?}", outcome.error);
    let offsets: Vec<Duration> = cluster.attempts.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(offsets, [0, 5, 10].map(Duration::from_secs));
    assert!(
        cluster
            .get(&ObjectRef::namespaced("Pod", "shop", &pod))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn an_eviction_refused_past_the_timeout_fails_with_the_budgets_message() {
    let cluster = budgeted(&[], true);
    let pods: Vec<String> = cluster
        .list(&Kind::of("Pod"), Some("shop"), None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let start = tokio::time::Instant::now();
    let outcome = execute(
        &executor_on(cluster.clone()),
        &incident(TargetKind::Node, None, "worker-1"),
        &verdict(VerdictKind::Allow, false),
        eviction_plan(&[&pods[0], &pods[1]], 12),
    )
    .await;
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    let offsets: Vec<Duration> = cluster.attempts.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(
        offsets,
        [0, 5, 10, 12].map(Duration::from_secs),
        "every 5s, a last try at the deadline, and the second pod is never tried"
    );
    assert_eq!(
        outcome.error,
        Some(format!(
            "EVICT pod/shop/{} (waiting up to 12s for disruption budgets): refused by a disruption budget for \
             pod/shop/{}: Cannot evict pod as it would violate the pod's disruption budget. (still refused after 4 \
             attempts over the drain's timeout of 12s)",
            pods[0], pods[0]
        ))
    );
}

#[tokio::test(start_paused = true)]
async fn the_timeout_bounds_the_whole_drain_not_each_eviction() {
    let cluster = budgeted(&[true, true, false, true, true], false);
    let pods: Vec<String> = cluster
        .list(&Kind::of("Pod"), Some("shop"), None)
        .await
        .unwrap()
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    let start = tokio::time::Instant::now();
    let outcome = execute(
        &executor_on(cluster.clone()),
        &incident(TargetKind::Node, None, "worker-1"),
        &verdict(VerdictKind::Allow, false),
        eviction_plan(&[&pods[0], &pods[1]], 12),
    )
    .await;
    // The first pod is refused at 0 and 5 and evicted at 10; the second is refused at 10
    // with 2s left: one more try at 12, refused, and the drain is over.
    assert_eq!(outcome.status, OutcomeStatus::Failed);
    let offsets: Vec<Duration> = cluster.attempts.lock().unwrap().iter().map(|t| *t - start).collect();
    assert_eq!(offsets, [0, 5, 10, 10, 12].map(Duration::from_secs));
}
