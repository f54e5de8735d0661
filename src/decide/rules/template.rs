//! Rendering `{{ labels.NAME }}`-style references to the incident in rule strings.
//!
//! A template is plain text with `{{ VARIABLE }}` references (whitespace inside the braces
//! optional). The variables are the alert's labels and annotations, a few named facts of
//! the incident (`alertname`, `namespace`, `severity`, `container`) and of the context
//! (`target.name`, `target.kind`, `workload.name`, `workload.kind`). An unknown variable is
//! an error naming it; a variable without a value (an absent label, no known workload) is
//! an error naming what is missing, so the rule does not apply and says why.
//!
//! Only strings are rendered: numbers and booleans in parameters stay as written. There
//! are no filters, conditionals or loops, and rendering never reads anything but the
//! incident and the context it is given.

use serde_json::Value;

use super::matcher::workload_of;
use crate::context::Context;
use crate::incident::Incident;

/// The variables a template may reference, for error messages and docs.
pub const KNOWN_VARIABLES: &str = "labels.NAME, annotations.NAME, alertname, namespace, severity, container, \
     target.name, target.kind, workload.name, workload.kind";

/// Why a template cannot be parsed or rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// A `{{` without its `}}`.
    #[error("unclosed `{{{{` in {text:?}")]
    Unclosed {
        /// The template text.
        text: String,
    },
    /// `{{ }}` with nothing inside.
    #[error("empty `{{{{ }}}}` in {text:?}")]
    Empty {
        /// The template text.
        text: String,
    },
    /// A variable medic does not know.
    #[error("unknown template variable {name:?} (known: {KNOWN_VARIABLES})")]
    UnknownVariable {
        /// The variable as written.
        name: String,
    },
    /// The alert has no such label.
    #[error("label {name:?} is absent from the alert")]
    MissingLabel {
        /// The label name.
        name: String,
    },
    /// The alert has no such annotation.
    #[error("annotation {name:?} is absent from the alert")]
    MissingAnnotation {
        /// The annotation name.
        name: String,
    },
    /// A named fact is not known for this incident.
    #[error("`{{{{ {variable} }}}}` has no value: {why}")]
    NoValue {
        /// The variable.
        variable: String,
        /// Why it has none.
        why: String,
    },
}

/// A variable a template references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variable {
    /// `labels.NAME`
    Label(String),
    /// `annotations.NAME`
    Annotation(String),
    /// `alertname`
    Alertname,
    /// `namespace`: the `namespace` label, else the target's namespace.
    Namespace,
    /// `severity`
    Severity,
    /// `container`: the `container` label, else the alert target's container.
    Container,
    /// `target.name`: the alert's target, else the context's.
    TargetName,
    /// `target.kind`
    TargetKind,
    /// `workload.name`: the workload owning the target.
    WorkloadName,
    /// `workload.kind`
    WorkloadKind,
}

impl Variable {
    /// Parses a variable name as written between the braces (trimmed).
    pub fn parse(name: &str) -> Result<Variable, TemplateError> {
        let unknown = || TemplateError::UnknownVariable { name: name.to_string() };
        let valid_key = |k: &str| !k.is_empty() && !k.chars().any(char::is_whitespace);
        if let Some(label) = name.strip_prefix("labels.") {
            return if valid_key(label) {
                Ok(Variable::Label(label.to_string()))
            } else {
                Err(unknown())
            };
        }
        if let Some(annotation) = name.strip_prefix("annotations.") {
            return if valid_key(annotation) {
                Ok(Variable::Annotation(annotation.to_string()))
            } else {
                Err(unknown())
            };
        }
        Ok(match name {
            "alertname" => Variable::Alertname,
            "namespace" => Variable::Namespace,
            "severity" => Variable::Severity,
            "container" => Variable::Container,
            "target.name" => Variable::TargetName,
            "target.kind" => Variable::TargetKind,
            "workload.name" => Variable::WorkloadName,
            "workload.kind" => Variable::WorkloadKind,
            _ => return Err(unknown()),
        })
    }

    fn name(&self) -> String {
        match self {
            Variable::Label(l) => format!("labels.{l}"),
            Variable::Annotation(a) => format!("annotations.{a}"),
            Variable::Alertname => "alertname".into(),
            Variable::Namespace => "namespace".into(),
            Variable::Severity => "severity".into(),
            Variable::Container => "container".into(),
            Variable::TargetName => "target.name".into(),
            Variable::TargetKind => "target.kind".into(),
            Variable::WorkloadName => "workload.name".into(),
            Variable::WorkloadKind => "workload.kind".into(),
        }
    }

    /// The variable's value for an incident and its context.
    pub fn value(&self, incident: &Incident, context: &Context) -> Result<String, TemplateError> {
        let no_value = |why: &str| TemplateError::NoValue {
            variable: self.name(),
            why: why.to_string(),
        };
        let target = || {
            incident
                .target
                .as_ref()
                .map(|t| (t.name.clone(), t.kind.as_str().to_string(), t.namespace.clone()))
                .or_else(|| {
                    context
                        .target
                        .as_ref()
                        .map(|t| (t.name.clone(), t.kind.kind.clone(), t.namespace.clone()))
                })
        };
        match self {
            Variable::Label(name) => incident
                .labels
                .get(name)
                .cloned()
                .ok_or_else(|| TemplateError::MissingLabel { name: name.clone() }),
            Variable::Annotation(name) => incident
                .annotations
                .get(name)
                .cloned()
                .ok_or_else(|| TemplateError::MissingAnnotation { name: name.clone() }),
            Variable::Alertname => Ok(incident.alertname.clone()),
            Variable::Severity => incident
                .severity
                .clone()
                .ok_or_else(|| no_value("the alert has no severity label")),
            Variable::Namespace => incident
                .labels
                .get("namespace")
                .cloned()
                .or_else(|| target().and_then(|t| t.2))
                .ok_or_else(|| no_value("the alert has no namespace label and its target no namespace")),
            Variable::Container => incident
                .labels
                .get("container")
                .filter(|c| !c.is_empty())
                .cloned()
                .or_else(|| incident.target.as_ref().and_then(|t| t.container.clone()))
                .ok_or_else(|| no_value("the alert names no container")),
            Variable::TargetName => target()
                .map(|t| t.0)
                .ok_or_else(|| no_value("the alert names no Kubernetes object")),
            Variable::TargetKind => target()
                .map(|t| t.1)
                .ok_or_else(|| no_value("the alert names no Kubernetes object")),
            Variable::WorkloadName => workload_of(incident, context)
                .map(|w| w.name)
                .ok_or_else(|| no_value("no workload owns the alert's target")),
            Variable::WorkloadKind => workload_of(incident, context)
                .map(|w| w.kind.kind)
                .ok_or_else(|| no_value("no workload owns the alert's target")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Var(Variable),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses a template; unknown variables and unclosed braces are errors.
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| TemplateError::Unclosed { text: text.to_string() })?;
            let name = after[..end].trim();
            if name.is_empty() {
                return Err(TemplateError::Empty { text: text.to_string() });
            }
            parts.push(Part::Var(Variable::parse(name)?));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// The variables referenced, in order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v),
            Part::Text(_) => None,
        })
    }

    /// Renders the template; the first variable without a value is the error.
    pub fn render(&self, incident: &Incident, context: &Context) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(v) => out.push_str(&v.value(incident, context)?),
            }
        }
        Ok(out)
    }
}

/// Whether a string contains a `{{` reference (and so is a template).
pub fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// Parses and renders a template in one step.
pub fn render(text: &str, incident: &Incident, context: &Context) -> Result<String, TemplateError> {
    Template::parse(text)?.render(incident, context)
}

/// Checks every string inside a JSON value parses as a template; returns each problem
/// with its path below `path` (e.g. `params.container`).
pub fn check_value(value: &Value, path: &str) -> Vec<(String, TemplateError)> {
    let mut out = Vec::new();
    walk_check(value, path, &mut out);
    out
}

fn walk_check(value: &Value, path: &str, out: &mut Vec<(String, TemplateError)>) {
    match value {
        Value::String(s) => {
            if let Err(e) = Template::parse(s) {
                out.push((path.to_string(), e));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_check(v, &format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                walk_check(v, &format!("{path}.{k}"), out);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Renders every string inside a JSON value; numbers, booleans and nulls stay as they
/// are. The error carries the path below `path` of the string that failed.
pub fn render_value(
    value: &Value,
    path: &str,
    incident: &Incident,
    context: &Context,
) -> Result<Value, (String, TemplateError)> {
    Ok(match value {
        Value::String(s) => Value::String(render(s, incident, context).map_err(|e| (path.to_string(), e))?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| render_value(v, &format!("{path}[{i}]"), incident, context))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(v, &format!("{path}.{k}"), incident, context)?)))
                .collect::<Result<_, _>>()?,
        ),
        Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ObjectRef;
    use crate::context::WorkloadFacts;
    use crate::incident::parse_alert_file;
    use serde_json::json;

    fn incident(yaml: &str) -> Incident {
        parse_alert_file(yaml.as_bytes())
            .unwrap()
            .incidents(jiff::Timestamp::now())
            .remove(0)
    }

    fn crashloop() -> Incident {
        incident(
            "labels: {alertname: KubePodCrashLooping, namespace: shop, pod: api-7d4b9c-x2x, container: api, \
             job: kube-state-metrics, severity: warning}\n\
             annotations: {summary: Pod is crash looping}\n",
        )
    }

    fn with_workload() -> Context {
        Context {
            owners: vec![
                ObjectRef::namespaced("ReplicaSet", "shop", "api-7d4b9c"),
                ObjectRef::namespaced("Deployment", "shop", "api"),
            ],
            workload: Some(WorkloadFacts {
                reference: ObjectRef::namespaced("Deployment", "shop", "api"),
                replicas: Some(3),
                ready_replicas: Some(2),
                available_replicas: Some(2),
                revision: Some(4),
                previous_revision: Some(3),
                revision_age_seconds: Some(600),
                paused: false,
                progressing_reason: None,
            }),
            ..Context::default()
        }
    }

    #[test]
    fn renders_every_variable_with_or_without_spaces() {
        let i = crashloop();
        let ctx = with_workload();
        let out = render(
            "{{alertname}} {{ severity }} {{ namespace }}/{{labels.pod}} c={{ container }} \
             {{ target.kind }}:{{ target.name }} {{workload.kind}}:{{ workload.name }} \"{{ annotations.summary }}\"",
            &i,
            &ctx,
        )
        .unwrap();
        assert_eq!(
            out,
            "KubePodCrashLooping warning shop/api-7d4b9c-x2x c=api Pod:api-7d4b9c-x2x Deployment:api \
             \"Pod is crash looping\""
        );
        assert_eq!(render("no references", &i, &ctx).unwrap(), "no references");
    }

    #[test]
    fn missing_label_names_the_label() {
        let i = crashloop();
        let e = render("{{ labels.deployment }}", &i, &Context::default()).unwrap_err();
        assert_eq!(
            e,
            TemplateError::MissingLabel {
                name: "deployment".into()
            }
        );
        assert!(e.to_string().contains("\"deployment\""), "{e}");
        let e = render("{{ workload.name }}", &i, &Context::default()).unwrap_err();
        assert!(e.to_string().contains("workload.name"), "{e}");
    }

    #[test]
    fn unknown_variable_and_syntax_errors() {
        let e = Template::parse("x {{ lables.pod }}").unwrap_err();
        assert_eq!(
            e,
            TemplateError::UnknownVariable {
                name: "lables.pod".into()
            }
        );
        assert!(e.to_string().contains("lables.pod"), "{e}");
        assert!(matches!(Template::parse("{{ pod"), Err(TemplateError::Unclosed { .. })));
        assert!(matches!(Template::parse("{{ }}"), Err(TemplateError::Empty { .. })));
        assert!(matches!(
            Template::parse("{{ labels. }}"),
            Err(TemplateError::UnknownVariable { .. })
        ));
    }

    #[test]
    fn values_render_strings_only_and_report_the_path() {
        let i = crashloop();
        let ctx = Context::default();
        let v = render_value(
            &json!({"container": "{{ container }}", "memory_factor": 1.5, "force": true}),
            "params",
            &i,
            &ctx,
        )
        .unwrap();
        assert_eq!(v, json!({"container": "api", "memory_factor": 1.5, "force": true}));
        let (path, e) = render_value(&json!({"reason": "{{ labels.node }}"}), "params", &i, &ctx).unwrap_err();
        assert_eq!(path, "params.reason");
        assert_eq!(e, TemplateError::MissingLabel { name: "node".into() });
        let problems = check_value(&json!({"a": ["ok", "{{ nope }}"]}), "params");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "params.a[1]");
    }
}
