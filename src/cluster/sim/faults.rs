//! Fault injection: what is really wrong in a simulated cluster, known to the simulator
//! only, kept wrong until an action that really fixes it is applied.
//!
//! A [`Fault`] names a kind, the object it afflicts and, where the kind needs one, the
//! container. Injected with [`SimCluster::with_faults`] before the controllers first run,
//! it keeps its target unhealthy the way Kubernetes would show it, through every write and
//! every pod the controllers create, and when time passes ([`SimCluster::set_now`]):
//!
//! | kind | what the cluster shows | gone when |
//! | --- | --- | --- |
//! | `oom` | the container's pods crash-loop, last terminated `OOMKilled`, exit 137 | the container's memory limit rose by at least 25% |
//! | `cpu_throttled` | (the pods run; the throttling is in the alert) | the container's CPU limit rose, on every pod |
//! | `bad_rollout` | pods of the faulty revision's template crash-loop, `Error`, exit 1 | the Deployment's template is the previous revision's |
//! | `hung_process` | the afflicted pods run but fail their readiness probe | those pods are replaced (`restart_pod`, `rollout_restart`) |
//! | `memory_leak` | the afflicted pods are OOMKilled again and again | those pods are replaced without raising the limit (that only delays the next OOMKill) |
//! | `stuck_terminating` | the pods stay Terminating (graceful deletes change nothing) | they are force-deleted (`delete_stuck_pods`) |
//! | `node_not_ready` | the node's Ready condition is not True; its pods are not Ready, then evicted after 5 minutes | the node is cordoned (or drained) and its pods run elsewhere |
//! | `pvc_full` | the volume is 97% used (known to the simulator) | the claim's capacity grew (the simulator's volume expander) to at most 85% used |
//! | `hpa_maxed` | the HPA runs at maxReplicas, utilization above target; it scales its Deployment back if scaled by hand | maxReplicas rose above what the load needs |
//! | `replica_shortage` | fewer pods than the PodDisruptionBudget's minAvailable | enough pods are Ready |
//! | `job_failed_transient` | the Job is Failed (`BackoffLimitExceeded`) | a Job re-created from its template (a retry) completed |
//! | `compromised_pod` | (the evidence is in logs and the alert) | the pod is kept and isolated by a deny-all NetworkPolicy or quarantined out of its controller; deleting it loses the evidence and the replacement is compromised again |
//! | `none` | nothing | (nothing to resolve) |
//!
//! Pods the controllers create pass the namespace's LimitRange first (`limits`): a
//! remedy that raises a limit past the namespace's `max` leaves the new pods uncreated.
//!
//! Beyond that, the workload the fault afflicted must have its pods Ready
//! ([`SimCluster::fault_reports`] judges it). Any other action has its real effect: a
//! restart of an OOMing pod gives a new pod that OOMs again.
//!
//! This module models faults only: it must not decide anything, and changes the store
//! only as the kubelet or a controller would.

mod limits;
mod objects;
mod report;
mod spec;
mod state;
mod symptoms;
mod sync;
#[cfg(test)]
mod tests;

use jiff::Timestamp;

pub(super) use limits::admit;
pub use report::FaultReport;
pub use spec::{Fault, FaultError, FaultKind, FaultTarget};
pub(super) use state::{FaultState, arm};
pub(super) use sync::{elapse, on_pod_created, sync};

use super::SimCluster;
use super::controllers::reconcile;
use super::load::SimError;
use super::store::Clock;

/// Why a cluster with faults could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InjectError {
    /// The objects do not load.
    #[error(transparent)]
    Load(#[from] SimError),
    /// A fault does not fit the objects.
    #[error(transparent)]
    Fault(#[from] FaultError),
}

impl SimCluster {
    /// Loads a fixture with its clock frozen at `now` and `faults` injected before the
    /// controllers first run, so that the pods they create already show them.
    pub fn with_faults(text: &str, now: Timestamp, faults: &[Fault]) -> Result<SimCluster, InjectError> {
        let sim = SimCluster::build(text, Clock::Fixed(now), "scenario".into(), faults)?;
        {
            let mut store = sim.lock();
            if let Some(e) = store.faults.iter().find_map(FaultState::failure) {
                return Err(e.into());
            }
            sync::settle(&mut store);
            if let Some(e) = store.faults.iter().find_map(FaultState::failure) {
                return Err(e.into());
            }
            reconcile(&mut store);
        }
        Ok(sim)
    }

    /// How each injected fault stands now.
    pub fn fault_reports(&self) -> Vec<FaultReport> {
        let store = self.lock();
        store.faults.iter().map(|s| report::report(&store, s)).collect()
    }
}
