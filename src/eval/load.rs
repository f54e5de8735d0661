//! Reading and validating scenario files, every problem of every file reported at once
//! with the file and the path of the offending field, before anything runs.
//!
//! Validation parses the YAML strictly (unknown keys are errors), checks the name, the
//! alert, the action names and the log keys, then loads the objects into a simulated
//! cluster with the fault injected, so Kubernetes YAML that does not parse and a fault
//! that does not fit its objects are caught here too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde_json::json;

use super::scenario::Scenario;
use crate::actions::ActionKind;
use crate::cluster::sim::faults::InjectError;
use crate::cluster::sim::{MEDIC_API_VERSION, SimCluster};

/// The instant a scenario's timestamps are written relative to: when its alert fires.
/// Runs happen at this instant of simulated time (the pipeline reads the context as of
/// it), so they are the same on every machine and every day.
pub const SCENARIO_EPOCH: &str = "2026-03-02T10:00:00Z";

/// The scenario epoch as a timestamp.
pub fn epoch() -> Timestamp {
    SCENARIO_EPOCH
        .parse()
        .unwrap_or_else(|e| unreachable!("SCENARIO_EPOCH is a valid timestamp: {e}"))
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {path}: {message}")]
pub struct ScenarioProblem {
    /// The file.
    pub file: String,
    /// The dotted path of the field (`expect.acceptable[1]`), or `$` for the document.
    pub path: String,
    /// What is wrong, quoting the value.
    pub message: String,
}

/// Why scenarios could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The directory cannot be read.
    #[error("cannot read the scenario directory {dir}: {message}")]
    Dir {
        /// The directory.
        dir: String,
        /// The operating system's message.
        message: String,
    },
    /// The directory holds no scenario file.
    #[error("no scenario files (*.yaml) in {0}")]
    Empty(String),
    /// Files have problems (all of them, every file).
    #[error("{} problem(s) in scenario files:\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ScenarioProblem>),
}

/// A scenario that passed validation.
#[derive(Debug, Clone)]
pub struct ValidScenario {
    /// The file it came from.
    pub file: PathBuf,
    /// The scenario as written.
    pub scenario: Scenario,
    /// The acceptable actions.
    pub acceptable: Vec<ActionKind>,
    /// The forbidden actions.
    pub forbidden: Vec<ActionKind>,
    /// The objects, the logs and the clock as one simulator fixture.
    pub fixture: String,
}

/// Loads every `*.yaml`/`*.yml` file of `dir`, in name order.
pub fn load_dir(dir: &Path) -> Result<Vec<ValidScenario>, ScenarioError> {
    let shown = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| ScenarioError::Dir {
        dir: shown.clone(),
        message: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ScenarioError::Empty(shown));
    }
    let mut scenarios = Vec::new();
    let mut problems = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for file in &files {
        match load_file(file) {
            Ok(s) => {
                let shown = file.display().to_string();
                if let Some(first) = names.insert(s.scenario.name.clone(), shown.clone()) {
                    problems.push(ScenarioProblem {
                        file: shown,
                        path: "name".into(),
                        message: format!("{:?} is also the name of {first}", s.scenario.name),
                    });
                }
                scenarios.push(s);
            }
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(scenarios)
    } else {
        Err(ScenarioError::Invalid(problems))
    }
}

/// Loads and validates one file.
pub fn load_file(path: &Path) -> Result<ValidScenario, Vec<ScenarioProblem>> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ScenarioProblem {
            file: shown.clone(),
            path: "$".into(),
            message: format!("cannot read: {e}"),
        }]
    })?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut valid = parse(&text, &shown, Some(&stem))?;
    valid.file = path.to_path_buf();
    Ok(valid)
}

/// Validates a scenario text; `file` names it in problems, `stem` is the name it must have.
pub fn parse(text: &str, file: &str, stem: Option<&str>) -> Result<ValidScenario, Vec<ScenarioProblem>> {
    let problem = |path: &str, message: String| ScenarioProblem {
        file: file.to_string(),
        path: path.to_string(),
        message,
    };
    let documents = serde_yaml_ng::Deserializer::from_str(text).count();
    if documents != 1 {
        return Err(vec![problem(
            "$",
            format!("a scenario file holds exactly one YAML document, found {documents}"),
        )]);
    }
    let scenario: Scenario =
        serde_path_to_error::deserialize(serde_yaml_ng::Deserializer::from_str(text)).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { "$".to_string() } else { path };
            vec![problem(&path, e.into_inner().to_string())]
        })?;
    let mut problems = Vec::new();
    check_name(&scenario, stem, &mut |p, m| problems.push(problem(p, m)));
    match scenario.alert.labels.get("alertname") {
        Some(a) if !a.trim().is_empty() => {}
        _ => problems.push(problem(
            "alert.labels.alertname",
            "missing: every alert needs an alertname label".into(),
        )),
    }
    let acceptable = actions(&scenario.expect.acceptable, "expect.acceptable", &mut |p, m| {
        problems.push(problem(p, m))
    });
    let forbidden = actions(&scenario.expect.forbidden, "expect.forbidden", &mut |p, m| {
        problems.push(problem(p, m))
    });
    if scenario.expect.acceptable.is_empty() {
        problems.push(problem(
            "expect.acceptable",
            "must list at least one action (escalate when no cluster change is right)".into(),
        ));
    }
    for (i, a) in scenario.expect.forbidden.iter().enumerate() {
        if scenario.expect.acceptable.contains(a) {
            problems.push(problem(
                &format!("expect.forbidden[{i}]"),
                format!("{a:?} is also acceptable"),
            ));
        }
    }
    for key in scenario.cluster.logs.keys() {
        let parts: Vec<&str> = key.split('/').collect();
        if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
            problems.push(problem(
                &format!("cluster.logs.{key:?}"),
                "a log key is namespace/pod/container".into(),
            ));
        }
    }
    let fixture = fixture(&scenario);
    if problems.is_empty() {
        let faults: Vec<_> = scenario.cluster.fault.iter().cloned().collect();
        match SimCluster::with_faults(&fixture, epoch(), &faults) {
            Ok(_) => {}
            Err(InjectError::Load(e)) => problems.push(problem("cluster.objects", e.to_string())),
            Err(InjectError::Fault(e)) => problems.push(problem("cluster.fault", e.to_string())),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ValidScenario {
        file: PathBuf::from(file),
        scenario,
        acceptable,
        forbidden,
        fixture,
    })
}

fn check_name(scenario: &Scenario, stem: Option<&str>, problem: &mut impl FnMut(&str, String)) {
    let name = &scenario.name;
    let kebab = !name.is_empty()
        && name
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if !kebab {
        problem(
            "name",
            format!("{name:?} is not kebab-case (lower-case letters and digits joined by single dashes)"),
        );
    }
    if let Some(stem) = stem
        && stem != name
    {
        problem("name", format!("{name:?} must be the file's stem {stem:?}"));
    }
}

fn actions(names: &[String], path: &str, problem: &mut impl FnMut(&str, String)) -> Vec<ActionKind> {
    let mut kinds = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match ActionKind::parse(name) {
            Some(k) => kinds.push(k),
            None => problem(
                &format!("{path}[{i}]"),
                format!("unknown action {name:?} (see `medic actions`)"),
            ),
        }
    }
    kinds
}

/// The objects with the logs (a `ContainerLogs` document) and the clock (a
/// `FixtureClock` at [`SCENARIO_EPOCH`], unless the objects carry their own).
fn fixture(scenario: &Scenario) -> String {
    let mut text = scenario.cluster.objects.clone();
    if !scenario.cluster.logs.is_empty() {
        let logs = json!({"apiVersion": MEDIC_API_VERSION, "kind": "ContainerLogs", "logs": scenario.cluster.logs});
        text.push_str("\n---\n");
        text.push_str(&serde_yaml_ng::to_string(&logs).unwrap_or_default());
    }
    if !text.contains("kind: FixtureClock") {
        text.push_str(&format!(
            "\n---\napiVersion: {MEDIC_API_VERSION}\nkind: FixtureClock\nnow: \"{SCENARIO_EPOCH}\"\n"
        ));
    }
    text
}
