//! Typed parameters of each action, by family. Field docs are user docs: they become
//! the JSON Schema descriptions shown by `medic actions` and given to the LLM.

mod core;
mod jobs;
mod misc;
mod nodes;
mod pods;
mod workloads;

pub use self::core::*;
pub use jobs::*;
pub use misc::*;
pub use nodes::*;
pub use pods::*;
pub use workloads::*;
