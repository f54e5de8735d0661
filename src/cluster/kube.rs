//! The kube-rs cluster. (Being written by the kube helper.)
/// A real cluster.
pub struct KubeCluster;
