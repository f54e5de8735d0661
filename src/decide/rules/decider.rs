//! The rules decider. (Being written by the rules helper.)
/// Matches playbook rules.
pub struct RulesDecider;
