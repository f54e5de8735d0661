//! The policy config: defaults, every key parsed, `0s` cooldowns, namespace overrides
//! that only tighten, and validation problems with their paths.

use super::config::{Mode, PolicyConfig, Span, WindowEffect};
use crate::actions::Risk;
use crate::config::load::{ConfigError, Problem, load_str};

fn problems(yaml: &str) -> Vec<Problem> {
    match load_str(yaml, "test.yaml") {
        Ok(_) => vec![],
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn defaults_are_the_documented_ones() {
    let p = PolicyConfig::default();
    assert_eq!(p.mode, Mode::DryRun);
    assert_eq!(p.risk_ceiling, Risk::Medium);
    assert_eq!(p.confidence_floor, 0.7);
    assert_eq!(p.cooldowns.action_target.as_secs(), 900);
    assert_eq!(p.cooldowns.fingerprint.as_secs(), 600);
    assert_eq!((p.rate_limits.per_hour, p.rate_limits.per_namespace_per_hour), (20, 6));
    assert_eq!(p.max_concurrent, 3);
    assert_eq!(p.blast_radius.max_pods, 10);
    assert_eq!(p.blast_radius.min_ready_replicas, 1);
    assert!(p.blast_radius.honour_pdbs && p.blast_radius.never_last_replica);
    assert!(p.maintenance_windows.is_empty());
    for ns in ["kube-system", "kube-public", "kube-node-lease", "medic"] {
        assert!(p.is_protected(ns), "{ns}");
    }
    assert!(p.problems().is_empty(), "{:?}", p.problems());
}

#[test]
fn every_key_parses() {
    let c = load_str(
        r#"
policy:
  mode: execute
  risk_ceiling: high
  confidence_floor: 0.9
  cooldowns: {action_target: 0s, fingerprint: 1h30m}
  rate_limits: {per_hour: 5, per_namespace_per_hour: 2}
  max_concurrent: 1
  blast_radius: {max_pods: 3, min_ready_replicas: 2, honour_pdbs: false, never_last_replica: false}
  maintenance_windows:
    - {name: nights, schedule: "0 22 * * 1-5", duration: 8h, timezone: Europe/Paris, effect: deny, namespaces: [shop]}
    - {name: sundays, schedule: "* * * * 0", duration: 1m}
  namespaces:
    shop: {mode: approve, risk_ceiling: low, rate_limit_per_hour: 2, denied_actions: [drain_node]}
"#,
        "x",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let p = c.policy;
    assert_eq!(p.mode, Mode::Autonomous);
    assert_eq!(p.risk_ceiling, Risk::High);
    assert!(p.cooldowns.action_target.is_off());
    assert_eq!(p.cooldowns.fingerprint.as_secs(), 5400);
    assert_eq!(p.maintenance_windows[0].effect, WindowEffect::Deny);
    assert_eq!(p.maintenance_windows[1].timezone, "UTC");
    assert_eq!(p.maintenance_windows[1].effect, WindowEffect::Hold);
    assert_eq!(p.namespace_rate_limit("shop"), 2);
    assert_eq!(p.namespace_rate_limit("web"), 2);
    // Round trip: what serializes loads back the same.
    let text = serde_yaml_ng::to_string(&p).unwrap();
    let back: PolicyConfig = serde_yaml_ng::from_str(&text).unwrap();
    assert_eq!(back, p);
}

#[test]
fn spans_accept_zero_and_reject_nonsense() {
    for zero in ["0s", "0", "0m", "00h"] {
        assert_eq!(Span::try_from(zero.to_string()), Ok(Span::from_secs(0)), "{zero}");
    }
    assert_eq!(Span::try_from("15m".to_string()), Ok(Span::from_secs(900)));
    assert_eq!(Span::from_secs(0).to_string(), "0s");
    assert_eq!(Span::from_secs(5400).to_string(), "1h30m");
    assert!(
        Span::try_from("soon".to_string())
            .unwrap_err()
            .contains("\"soon\" is not a duration")
    );
    let p = problems("policy: {cooldowns: {action_target: soon}}\n");
    assert!(
        p.iter()
            .any(|p| p.path == "policy.cooldowns.action_target" && p.message.contains("soon")),
        "{p:?}"
    );
}

#[test]
fn namespace_overrides_only_tighten() {
    let mut p: PolicyConfig = serde_yaml_ng::from_str(
        "mode: approve\nrisk_ceiling: medium\nnamespaces: {dev: {mode: autonomous, risk_ceiling: critical}, prod: {mode: dry-run, risk_ceiling: low}}",
    )
    .unwrap();
    assert_eq!(p.mode_in(Some("dev")), Mode::Approve);
    assert_eq!(p.ceiling_in(Some("dev")), Risk::Medium);
    assert_eq!(p.mode_in(Some("prod")), Mode::DryRun);
    assert_eq!(p.ceiling_in(Some("prod")), Risk::Low);
    assert_eq!(p.mode_in(None), Mode::Approve);
    p.mode = Mode::Autonomous;
    assert_eq!(p.mode_in(Some("dev")), Mode::Autonomous);
    assert_eq!(p.mode_in(Some("web")), Mode::Autonomous);
}

#[test]
fn problems_name_the_path_and_the_value() {
    let p = problems(
        r#"
policy:
  confidence_floor: 1.5
  max_concurrent: 0
  rate_limits: {per_hour: 0}
  cooldowns: {fingerprint: 2d}
  denied_actions: [reboot_everything]
  maintenance_windows:
    - {name: a, schedule: "0 25 * * *", duration: 1h, timezone: Mars/Olympus}
    - {name: a, schedule: "0 22 * * 1-5 *", duration: 8d}
  namespaces:
    shop: {allowed_actions: [nuke], rate_limit_per_hour: 0}
"#,
    );
    let has = |path: &str, text: &str| {
        assert!(
            p.iter().any(|x| x.path == path && x.message.contains(text)),
            "no problem at {path} containing {text:?}: {p:#?}"
        )
    };
    has("policy.confidence_floor", "between 0 and 1, found 1.5");
    has("policy.max_concurrent", "at least 1, found 0");
    has("policy.rate_limits.per_hour", "at least 1, found 0");
    has("policy.cooldowns.fingerprint", "at most 1d, found 2d");
    has("policy.denied_actions[0]", "reboot_everything");
    has(
        "policy.maintenance_windows[0].schedule",
        "hour \"25\": 25 is out of range 0-23",
    );
    has(
        "policy.maintenance_windows[0].timezone",
        "\"Mars/Olympus\" is not an IANA time zone",
    );
    has("policy.maintenance_windows[1].name", "\"a\" is used by another window");
    has("policy.maintenance_windows[1].schedule", "expected 5 fields");
    has("policy.maintenance_windows[1].duration", "at most 7d, found 8d");
    has("policy.namespaces.shop.allowed_actions[0]", "nuke");
    has("policy.namespaces.shop.rate_limit_per_hour", "at least 1, found 0");
}

#[test]
fn unknown_keys_and_effects_are_refused() {
    let p = problems("policy: {blast_radius: {max_podz: 3}}\n");
    assert!(p.iter().any(|p| p.message.contains("max_podz")), "{p:?}");
    let p =
        problems("policy: {maintenance_windows: [{name: x, schedule: '* * * * *', duration: 1h, effect: pause}]}\n");
    assert!(
        p.iter().any(|p| p.path.starts_with("policy.maintenance_windows[0]")),
        "{p:?}"
    );
}
