//! Tests of the node actions (`cordon_node`, `uncordon_node`, `taint_node`,
//! `drain_node`) and of `notify` planning: against the simulated cluster (exact
//! operations, diffs, refusals, the state after, `Plan::render()` snapshots), and through
//! kube-rs against the mock API server (the exact requests, and how the executor reads
//! the answers).

mod cordon;
mod drain;
mod kube;
mod notify;
mod taint;
