//! Label selectors as the API server understands them: the string syntax of
//! `?labelSelector=` (`app=web,tier!=db,env in (a,b),!canary`) and the structured
//! `LabelSelector` of workload and PodDisruptionBudget specs (`matchLabels`,
//! `matchExpressions`).
//!
//! This module only parses and matches; it must not look at anything but labels.

use std::collections::BTreeMap;

use serde_json::Value;

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Requirement {
    /// `key=value` or `key==value`.
    Equals(String, String),
    /// `key!=value` (also true when the key is absent).
    NotEquals(String, String),
    /// `key in (a,b)`.
    In(String, Vec<String>),
    /// `key notin (a,b)` (also true when the key is absent).
    NotIn(String, Vec<String>),
    /// `key`.
    Exists(String),
    /// `!key`.
    DoesNotExist(String),
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Requirement::Equals(k, v) => labels.get(k) == Some(v),
            Requirement::NotEquals(k, v) => labels.get(k) != Some(v),
            Requirement::In(k, vs) => labels.get(k).is_some_and(|l| vs.contains(l)),
            Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|l| !vs.contains(l)),
            Requirement::Exists(k) => labels.contains_key(k),
            Requirement::DoesNotExist(k) => !labels.contains_key(k),
        }
    }
}

/// A parsed selector: every requirement must hold. The empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Selector(Vec<Requirement>);

impl Selector {
    /// Parses the string syntax; the error says which term is wrong and why.
    pub(super) fn parse(text: &str) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for term in split_terms(text)? {
            let term = term.trim();
            if term.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err("empty requirement (stray comma)".into());
            }
            requirements.push(parse_term(term)?);
        }
        Ok(Selector(requirements))
    }

    /// Builds a selector from a structured `LabelSelector` JSON value. `None` for a
    /// malformed selector (unknown operator, missing values).
    pub(super) fn from_label_selector(selector: &Value) -> Option<Selector> {
        let mut requirements = Vec::new();
        if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in labels {
                requirements.push(Requirement::Equals(k.clone(), v.as_str()?.to_string()));
            }
        }
        if let Some(exprs) = selector.get("matchExpressions").and_then(Value::as_array) {
            for e in exprs {
                let key = e.get("key")?.as_str()?.to_string();
                let values = || -> Option<Vec<String>> {
                    e.get("values")?
                        .as_array()?
                        .iter()
                        .map(|v| v.as_str().map(str::to_string))
                        .collect()
                };
                requirements.push(match e.get("operator")?.as_str()? {
                    "In" => Requirement::In(key, values()?),
                    "NotIn" => Requirement::NotIn(key, values()?),
                    "Exists" => Requirement::Exists(key),
                    "DoesNotExist" => Requirement::DoesNotExist(key),
                    _ => return None,
                });
            }
        }
        Some(Selector(requirements))
    }

    /// Whether the labels of `object` (a Kubernetes object as JSON) satisfy the selector.
    pub(super) fn matches_object(&self, object: &Value) -> bool {
        self.matches(&labels_of(object))
    }

    /// Whether `labels` satisfy the selector.
    pub(super) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|r| r.matches(labels))
    }
}

/// The labels of an object as a map (non-string values are ignored).
pub(super) fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Splits at commas outside parentheses.
fn split_terms(text: &str) -> Result<Vec<&str>, String> {
    let mut terms = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' if depth == 0 => depth = 1,
            '(' => return Err("nested parentheses".into()),
            ')' if depth == 1 => depth = 0,
            ')' => return Err("unbalanced ')'".into()),
            ',' if depth == 0 => {
                terms.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced '(' (missing ')')".into());
    }
    terms.push(&text[start..]);
    Ok(terms)
}

fn parse_term(term: &str) -> Result<Requirement, String> {
    if let Some(key) = term.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(check_key(key.trim(), term)?));
    }
    if let Some(open) = term.find('(') {
        let head = term[..open].trim();
        let inner = term[open + 1..]
            .strip_suffix(')')
            .ok_or_else(|| format!("{term:?}: text after ')'"))?;
        let (key, op) = head
            .rsplit_once(char::is_whitespace)
            .ok_or_else(|| format!("{term:?}: expected `key in (...)` or `key notin (...)`"))?;
        let key = check_key(key.trim(), term)?;
        let values = inner
            .split(',')
            .map(|v| check_value(v.trim(), term))
            .collect::<Result<Vec<_>, _>>()?;
        return match op {
            "in" => Ok(Requirement::In(key, values)),
            "notin" => Ok(Requirement::NotIn(key, values)),
            other => Err(format!("{term:?}: unknown operator {other:?} (expected in or notin)")),
        };
    }
    for (op, build) in [
        ("!=", Requirement::NotEquals as fn(String, String) -> Requirement),
        ("==", Requirement::Equals),
        ("=", Requirement::Equals),
    ] {
        if let Some((k, v)) = term.split_once(op) {
            return Ok(build(check_key(k.trim(), term)?, check_value(v.trim(), term)?));
        }
    }
    Ok(Requirement::Exists(check_key(term, term)?))
}

/// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63
/// alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
fn check_key(key: &str, term: &str) -> Result<String, String> {
    let name = key.rsplit_once('/').map(|(prefix, name)| (Some(prefix), name));
    let (prefix, name) = name.unwrap_or((None, key));
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    });
    if !prefix_ok || !is_label_name(name) || name.is_empty() {
        return Err(format!("{term:?}: invalid label key {key:?}"));
    }
    Ok(key.to_string())
}

fn check_value(value: &str, term: &str) -> Result<String, String> {
    if value.is_empty() || is_label_name(value) {
        Ok(value.to_string())
    } else {
        Err(format!("{term:?}: invalid label value {value:?}"))
    }
}

fn is_label_name(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.len() <= 63
        && s.chars().all(|c| alnum(c) || matches!(c, '-' | '_' | '.'))
        && s.chars().next().is_some_and(alnum)
        && s.chars().last().is_some_and(alnum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_every_operator() {
        let s = Selector::parse("app=web, tier==front,env!=prod,zone in (a, b),team notin (x),canary,!legacy").unwrap();
        assert_eq!(
            s.0,
            vec![
                Requirement::Equals("app".into(), "web".into()),
                Requirement::Equals("tier".into(), "front".into()),
                Requirement::NotEquals("env".into(), "prod".into()),
                Requirement::In("zone".into(), vec!["a".into(), "b".into()]),
                Requirement::NotIn("team".into(), vec!["x".into()]),
                Requirement::Exists("canary".into()),
                Requirement::DoesNotExist("legacy".into()),
            ]
        );
        let yes = labels(&[("app", "web"), ("tier", "front"), ("zone", "b"), ("canary", "")]);
        assert!(s.matches(&yes));
        let mut no = yes.clone();
        no.insert("legacy".into(), "1".into());
        assert!(!s.matches(&no));
        let mut wrong_zone = yes.clone();
        wrong_zone.insert("zone".into(), "c".into());
        assert!(!s.matches(&wrong_zone));
        assert!(Selector::parse("").unwrap().matches(&labels(&[])));
        assert!(Selector::parse("app.kubernetes.io/name=web").is_ok());
    }

    #[test]
    fn absent_keys_satisfy_negations_only() {
        let s = Selector::parse("env!=prod,team notin (x)").unwrap();
        assert!(s.matches(&labels(&[])));
        assert!(!Selector::parse("env in (prod)").unwrap().matches(&labels(&[])));
    }

    #[test]
    fn parse_errors_quote_the_term() {
        let e = Selector::parse("app in (a,b").unwrap_err();
        assert!(e.contains("missing ')'"), "{e}");
        let e = Selector::parse("app=web,,x").unwrap_err();
        assert!(e.contains("stray comma"), "{e}");
        let e = Selector::parse("app=we b").unwrap_err();
        assert!(e.contains("\"app=we b\"") && e.contains("invalid label value"), "{e}");
        let e = Selector::parse("app within (a)").unwrap_err();
        assert!(e.contains("unknown operator \"within\""), "{e}");
        let e = Selector::parse("-bad-=1").unwrap_err();
        assert!(e.contains("invalid label key"), "{e}");
    }

    #[test]
    fn structured_selectors() {
        let s = Selector::from_label_selector(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "edge"]},
                                 {"key": "old", "operator": "DoesNotExist"}]
        }))
        .unwrap();
        let pod = json!({"metadata": {"labels": {"app": "web", "tier": "edge"}}});
        assert!(s.matches_object(&pod));
        let other = json!({"metadata": {"labels": {"app": "web", "tier": "db"}}});
        assert!(!s.matches_object(&other));
        assert!(
            Selector::from_label_selector(&json!({"matchExpressions": [{"key": "a", "operator": "Near"}]})).is_none()
        );
        assert!(
            Selector::from_label_selector(&json!({}))
                .unwrap()
                .matches_object(&other)
        );
    }
}
