//! The prompt templates: Tera templates from `prompts/`, compiled into the binary and
//! overridable one by one from a directory (`llm.prompt_dir`).
//!
//! `system.tera` is the model's standing instructions, `incident.tera` the incident with
//! its context and the allowed actions, `tool_result.tera` wraps each tool result, and
//! `validation_error.tera` asks again after a rejected answer. Templates are loaded once;
//! a render error is an error of the decision, never a panic.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The built-in templates, by file name.
pub const BUILTIN: &[(&str, &str)] = &[
    (SYSTEM, include_str!("../../../prompts/system.tera")),
    (INCIDENT, include_str!("../../../prompts/incident.tera")),
    (TOOL_RESULT, include_str!("../../../prompts/tool_result.tera")),
    (VALIDATION_ERROR, include_str!("../../../prompts/validation_error.tera")),
];

/// The system prompt's template.
pub const SYSTEM: &str = "system.tera";
/// The incident prompt's template.
pub const INCIDENT: &str = "incident.tera";
/// The tool result's template.
pub const TOOL_RESULT: &str = "tool_result.tera";
/// The re-ask's template.
pub const VALIDATION_ERROR: &str = "validation_error.tera";

/// Why templates could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// An override file exists but cannot be read.
    #[error("cannot read prompt template {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A template does not compile.
    #[error("prompt template {origin} is invalid: {message}")]
    Invalid {
        /// The file, or `built-in NAME`.
        origin: String,
        /// Tera's message.
        message: String,
    },
    /// A template failed to render.
    #[error("rendering prompt template {name} failed: {message}")]
    Render {
        /// The template.
        name: String,
        /// Tera's message.
        message: String,
    },
}

/// The compiled templates.
#[derive(Debug)]
pub struct Prompts {
    tera: tera::Tera,
    origins: Vec<(String, String)>,
}

fn tera_message(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl Prompts {
    /// The built-in templates.
    pub fn builtin() -> Result<Prompts, PromptError> {
        Prompts::load(None)
    }

    /// The built-in templates, each replaced by the file of the same name in `dir` when
    /// there is one.
    pub fn load(dir: Option<&Path>) -> Result<Prompts, PromptError> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on(Vec::<&'static str>::new());
        let mut origins = Vec::new();
        for (name, builtin) in BUILTIN {
            let (text, origin) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => (
                    std::fs::read_to_string(&path).map_err(|source| PromptError::Read {
                        path: path.clone(),
                        source,
                    })?,
                    path.display().to_string(),
                ),
                None => (builtin.to_string(), format!("built-in {name}")),
            };
            tera.add_raw_template(name, &text).map_err(|e| PromptError::Invalid {
                origin: origin.clone(),
                message: tera_message(&e),
            })?;
            origins.push((name.to_string(), origin));
        }
        Ok(Prompts { tera, origins })
    }

    /// Where each template came from (`built-in system.tera` or a path).
    pub fn origins(&self) -> &[(String, String)] {
        &self.origins
    }

    /// Renders template `name` with `data` (a serializable struct).
    pub fn render(&self, name: &str, data: &impl Serialize) -> Result<String, PromptError> {
        let render_error = |message: String| PromptError::Render {
            name: name.to_string(),
            message,
        };
        let context = tera::Context::from_serialize(data).map_err(|e| render_error(tera_message(&e)))?;
        self.tera
            .render(name, &context)
            .map_err(|e| render_error(tera_message(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_templates_compile_and_overrides_replace_them() {
        let p = Prompts::builtin().unwrap();
        assert_eq!(p.origins().len(), 4);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(VALIDATION_ERROR), "Wrong: {{ error }}").unwrap();
        let p = Prompts::load(Some(dir.path())).unwrap();
        assert_eq!(
            p.render(VALIDATION_ERROR, &json!({"error": "bad", "tools": true, "allowed": []}))
                .unwrap(),
            "Wrong: bad"
        );
        assert!(
            p.origins()
                .iter()
                .any(|(n, o)| n == SYSTEM && o == "built-in system.tera")
        );
        std::fs::write(dir.path().join(SYSTEM), "{% if %}").unwrap();
        let e = Prompts::load(Some(dir.path())).unwrap_err().to_string();
        assert!(e.contains("system.tera is invalid"), "{e}");
    }

    #[test]
    fn render_errors_name_the_template() {
        let p = Prompts::builtin().unwrap();
        let e = p.render(TOOL_RESULT, &json!({})).unwrap_err().to_string();
        assert!(e.contains("tool_result.tera"), "{e}");
    }
}
