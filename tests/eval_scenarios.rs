//! Scenario files are validated before anything runs: every problem of every file, with
//! the file and the path of the offending field.

use std::path::Path;

use medic::eval::load::{ScenarioProblem, load_dir, parse};
use medic::eval::{ScenarioError, load_file};

/// A valid scenario; tests break one thing in it at a time.
const GOOD: &str = r#"
name: oom-api
description: API pods are OOMKilled.
tags: [memory]
alert:
  labels: {alertname: KubePodCrashLooping, namespace: shop, pod: api-1, container: api, severity: warning}
  annotations: {summary: Pod is crash looping.}
cluster:
  objects: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: api, namespace: shop}
    spec:
      replicas: 1
      selector: {matchLabels: {app: api}}
      template:
        metadata: {labels: {app: api}}
        spec:
          containers:
          - name: api
            image: shop/api:1.0
            resources: {limits: {memory: 256Mi}}
    ---
    apiVersion: example.com/v1
    kind: Widget
    metadata: {name: opaque, namespace: shop}
    spec: {anything: [1, 2]}
  logs:
    shop/api-1/api: "fatal: out of memory\n"
  fault:
    kind: oom
    target: {kind: Deployment, namespace: shop, name: api}
    container: api
expect:
  acceptable: [increase_resources]
  forbidden: [drain_node]
"#;

fn problems(text: &str) -> Vec<ScenarioProblem> {
    parse(text, "evals/scenarios/oom-api.yaml", Some("oom-api")).expect_err("the scenario should be refused")
}

fn one(text: &str) -> ScenarioProblem {
    let mut p = problems(text);
    assert_eq!(p.len(), 1, "{p:?}");
    p.remove(0)
}

#[test]
fn a_valid_scenario_loads_with_opaque_objects_logs_and_fault() {
    let s = parse(GOOD, "evals/scenarios/oom-api.yaml", Some("oom-api")).unwrap();
    assert_eq!(s.scenario.name, "oom-api");
    assert_eq!(s.acceptable.len(), 1);
    assert!(s.fixture.contains("kind: ContainerLogs") && s.fixture.contains("kind: FixtureClock"));
}

#[test]
fn an_unknown_key_is_named_with_its_file_and_place() {
    let p = one(&GOOD.replace(
        "    container: api\nexpect:",
        "    container: api\n    colour: red\nexpect:",
    ));
    assert_eq!(p.file, "evals/scenarios/oom-api.yaml");
    assert_eq!(p.path, "cluster.fault.colour");
    assert!(p.message.contains("unknown field `colour`"), "{p}");
    let p = one(&GOOD.replace("tags: [memory]", "tags: [memory]\nseverity: high"));
    assert_eq!(p.path, "severity");
    assert!(p.message.contains("unknown field `severity`"), "{p}");
    assert!(p.to_string().starts_with("evals/scenarios/oom-api.yaml: "), "{p}");
}

#[test]
fn an_unknown_action_is_named_with_its_index() {
    let p = one(&GOOD.replace(
        "acceptable: [increase_resources]",
        "acceptable: [increase_resources, restart_the_pod]",
    ));
    assert_eq!(p.path, "expect.acceptable[1]");
    assert!(p.message.contains("unknown action \"restart_the_pod\""), "{p}");
    let p = one(&GOOD.replace("forbidden: [drain_node]", "forbidden: [drain]"));
    assert_eq!(p.path, "expect.forbidden[0]");
}

#[test]
fn an_unknown_fault_kind_is_named() {
    let p = one(&GOOD.replace("kind: oom", "kind: out_of_memory"));
    assert_eq!(p.path, "cluster.fault.kind");
    assert!(p.message.contains("unknown variant `out_of_memory`"), "{p}");
}

#[test]
fn kubernetes_yaml_that_does_not_parse_is_named_with_document_and_field() {
    let p = one(&GOOD.replace("replicas: 1", "replicas: one"));
    assert_eq!(p.path, "cluster.objects");
    assert_eq!(
        p.message,
        "document 1 (Deployment shop/api): invalid at spec.replicas: invalid type: string \"one\", expected i32"
    );
    let p = one(&GOOD.replace("    spec: {anything: [1, 2]}", "    spec: {anything: [1, 2}"));
    assert_eq!(p.path, "cluster.objects");
    assert!(p.message.starts_with("document 2: invalid YAML"), "{p}");
}

#[test]
fn a_fault_that_does_not_fit_its_objects_is_refused() {
    let p = one(&GOOD.replace("container: api\nexpect", "container: sidecar\nexpect"));
    assert_eq!(p.path, "cluster.fault");
    assert!(
        p.message
            .contains("container \"sidecar\" is not in Deployment/shop/api"),
        "{p}"
    );
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let text = GOOD
        .replace("name: oom-api", "name: OOM_api")
        .replace(
            "acceptable: [increase_resources]",
            "acceptable: [increase_resources, reboot]",
        )
        .replace("shop/api-1/api:", "api-1/api:")
        .replace("alertname: KubePodCrashLooping, ", "");
    let paths: Vec<String> = problems(&text).into_iter().map(|p| p.path).collect();
    assert_eq!(
        paths,
        [
            "name",
            "name",
            "alert.labels.alertname",
            "expect.acceptable[1]",
            "cluster.logs.\"api-1/api\""
        ]
    );
}

#[test]
fn a_directory_reports_the_problems_of_all_its_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("oom-api.yaml"), GOOD).unwrap();
    std::fs::write(
        dir.path().join("second.yaml"),
        GOOD.replace("name: oom-api", "name: second")
            .replace("kind: oom", "kind: meltdown"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("third.yaml"),
        GOOD.replace("name: oom-api", "name: third")
            .replace("[drain_node]", "[nuke]"),
    )
    .unwrap();
    let Err(ScenarioError::Invalid(problems)) = load_dir(dir.path()) else {
        panic!("the directory should be refused");
    };
    let found: Vec<(String, String)> = problems
        .iter()
        .map(|p| {
            let file = Path::new(&p.file).file_name().unwrap().to_string_lossy().to_string();
            (file, p.path.clone())
        })
        .collect();
    assert_eq!(
        found,
        [
            ("second.yaml".to_string(), "cluster.fault.kind".to_string()),
            ("third.yaml".to_string(), "expect.forbidden[0]".to_string())
        ]
    );
    let e = ScenarioError::Invalid(problems).to_string();
    assert!(e.starts_with("2 problem(s) in scenario files:\n  - "), "{e}");
}

#[test]
fn the_shipped_scenarios_are_valid_and_cite_their_runbooks() {
    let scenarios = load_dir(Path::new("evals/scenarios")).unwrap_or_else(|e| panic!("{e}"));
    assert!(scenarios.len() >= 40, "{} scenarios", scenarios.len());
    for s in &scenarios {
        assert!(
            s.scenario
                .description
                .contains("https://runbooks.prometheus-operator.dev/runbooks/"),
            "{} cites no runbook",
            s.file.display()
        );
        assert_eq!(load_file(&s.file).unwrap().scenario, s.scenario);
    }
}
