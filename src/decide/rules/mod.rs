//! The rules decider: declarative playbook rules matched against the incident and its
//! context, and a built-in rule pack for the common kubernetes-mixin alerts.
//!
//! `spec` is the file format, `matcher` evaluates conditions, `template` renders
//! `{{ labels.x }}` references, `builtin` holds the default pack, `decider` ties them
//! into a [`crate::decide::Decider`]. Rules only propose; they never check safety.

pub mod builtin;
pub mod decider;
pub mod matcher;
pub mod spec;
pub mod template;
pub mod validate;

pub use decider::RulesDecider;
pub use spec::{AlternativeSpec, ContextMatch, MatchSpec, OneOrMany, RuleSpec, TargetSelector};
