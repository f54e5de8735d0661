//! The evaluation harness (`medic eval`): which decider (the rules, or a model) picks the
//! right action, how often it proposes something dangerous, how fast and at what cost.
//!
//! A [`scenario`] file holds an alert, the cluster as it is when the alert fires
//! (Kubernetes YAML), and the fault that is really wrong, known to the simulator only.
//! [`load`] validates every file before anything runs. For each scenario and decider,
//! [`run`] loads a fresh simulated cluster with the fault injected, runs the whole
//! pipeline on the alert in execute mode, lets simulated time pass the action's
//! stabilization window, and asks the fault model whether the fault is gone. [`metrics`]
//! scores the runs, [`report`] renders them, [`gate`] checks the thresholds CI gates on.
//!
//! The harness acts on simulated clusters only: it must never build a real cluster
//! client, and sends no notification.

pub mod decider;
pub mod gate;
pub mod load;
pub mod metrics;
pub mod record;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod scenario;
pub mod suite;

pub use decider::{DeciderFactory, DeciderSpec};
pub use gate::Thresholds;
pub use load::{ScenarioError, ScenarioProblem, ValidScenario, load_dir, load_file};
pub use record::RunRecord;
pub use report::Report;
pub use scenario::Scenario;
pub use suite::{EvalError, Options, evaluate, run_suite};
