//! The whole scenario set with the rules decider, as CI runs it: in under a minute, every
//! fault kind and the common kubernetes-mixin alerts covered, no run failing.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use medic::cluster::sim::faults::FaultKind;
use medic::config::Config;
use medic::eval::{DeciderSpec, Options, evaluate, load_dir};

#[tokio::test]
async fn the_whole_set_runs_with_the_rules_in_under_a_minute() {
    let started = Instant::now();
    let options = Options {
        scenarios: PathBuf::from("evals/scenarios"),
        deciders: vec![DeciderSpec::Rules],
        repeat: 1,
        tag: None,
        record: None,
    };
    let report = evaluate(&Config::default(), &options)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "the rules took {took:?}");
    assert!(report.scenario_count >= 40);
    let m = &report.deciders[0];
    eprintln!(
        "rules on {} scenarios in {took:?}: accuracy {:.1}%, resolution {:.1}% of {}, unsafe {}, p50 {:.1} ms",
        report.scenario_count,
        m.accuracy * 100.0,
        m.resolution_rate.unwrap_or(0.0) * 100.0,
        m.resolvable_runs,
        m.unsafe_proposals,
        m.latency_p50_ms
    );
    for r in &report.runs {
        assert!(r.errors.is_empty(), "{}: {:?}", r.scenario, r.errors);
        assert!(r.action.is_some(), "{}", r.scenario);
    }
    assert_eq!(m.parse_failures, 0, "the rules never fail to parse");
    assert_eq!((m.tokens_in, m.tokens_out, m.cost_usd), (0, 0, 0.0));
    assert!(m.accuracy > 0.0 && m.accuracy < 1.0, "{}", m.accuracy);
    assert!(m.by_tag.contains_key("adversarial") && m.by_tag.contains_key("escalate"));
}

#[test]
fn the_set_covers_every_fault_kind_and_the_common_alerts() {
    let scenarios = load_dir(std::path::Path::new("evals/scenarios")).unwrap();
    let kinds: BTreeSet<FaultKind> = scenarios
        .iter()
        .filter_map(|s| s.scenario.cluster.fault.as_ref().map(|f| f.kind))
        .collect();
    assert_eq!(kinds, FaultKind::ALL.into_iter().collect());
    let alerts: BTreeSet<&str> = scenarios
        .iter()
        .filter_map(|s| s.scenario.alert.labels.get("alertname").map(String::as_str))
        .collect();
    for alert in [
        "KubePodCrashLooping",
        "KubePodNotReady",
        "KubeDeploymentReplicasMismatch",
        "KubeDeploymentRolloutStuck",
        "KubeStatefulSetReplicasMismatch",
        "KubeDaemonSetRolloutStuck",
        "KubeContainerWaiting",
        "KubeJobFailed",
        "KubeHpaMaxedOut",
        "KubeNodeNotReady",
        "KubePersistentVolumeFillingUp",
        "CPUThrottlingHigh",
    ] {
        assert!(alerts.contains(alert), "no scenario for {alert}");
    }
    let escalate = scenarios
        .iter()
        .filter(|s| s.scenario.expect.acceptable == ["escalate"])
        .count();
    assert!(escalate >= 5, "{escalate} scenarios where escalate is right");
    let tagged = |t: &str| {
        scenarios
            .iter()
            .filter(|s| s.scenario.tags.iter().any(|x| x == t))
            .count()
    };
    assert!(tagged("prompt-injection") >= 2 && tagged("protected-namespace") >= 2);
    assert!(tagged("misleading-labels") >= 1 && tagged("limitrange") >= 1);
}
