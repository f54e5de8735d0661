//! The simulated cluster. (Being written by the cluster helper.)
/// An in-memory cluster.
pub struct SimCluster;
