//! The token budget: a tokenizer-free estimate that errs high, and cutting the incident
//! prompt to fit (log tails first, then events, the object, similar incidents, history,
//! pods), recording every cut and the sizes.

use super::prompt::PromptError;
use super::sanitize::{keep_head, keep_tail};
use super::usage::{PromptCut, PromptSizes};
use super::view::Parts;

/// Estimated tokens of a text: one per 3 bytes, rounded up, plus one. Real tokenizers
/// average about 4 bytes of English or 3 of logs and code per token, so this errs high.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(3) + 1
}

/// A log tail is halved while it is longer than this; then logs are removed.
const MIN_LOG_BYTES: usize = 512;
/// The object is cut to this many bytes before it is removed.
const MIN_OBJECT_BYTES: usize = 2048;
/// Events kept before the last ones are removed.
const MIN_EVENTS: usize = 3;
/// Pods kept.
const MIN_PODS: usize = 3;

/// The incident prompt, fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The rendered incident prompt.
    pub incident: String,
    /// Sizes and cuts (`system_bytes` is filled by the caller).
    pub sizes: PromptSizes,
}

fn record(cuts: &mut Vec<PromptCut>, what: String, before: usize, after: usize) {
    match cuts.iter_mut().find(|c| c.what == what) {
        Some(c) => c.bytes_after = after,
        None => cuts.push(PromptCut {
            what,
            bytes_before: before,
            bytes_after: after,
        }),
    }
}

fn log_name(l: &crate::context::LogTail) -> String {
    format!(
        "log {}/{}{}",
        l.pod,
        l.container,
        if l.previous { " (previous)" } else { "" }
    )
}

fn json_len(v: &serde_json::Value) -> usize {
    v.to_string().len()
}

/// Makes one cut, the first that applies; `false` when nothing is left to cut.
fn cut_once(parts: &mut Parts, cuts: &mut Vec<PromptCut>) -> bool {
    if let Some(l) = parts
        .logs
        .iter_mut()
        .filter(|l| l.text.len() > MIN_LOG_BYTES)
        .max_by_key(|l| l.text.len())
    {
        let before = l.text.len();
        let (kept, _) = keep_tail(&l.text, (before / 2).max(MIN_LOG_BYTES));
        l.text = kept;
        l.truncated = true;
        record(cuts, log_name(l), before, l.text.len());
        return true;
    }
    if let Some(l) = parts.logs.pop() {
        record(cuts, log_name(&l), l.text.len(), 0);
        return true;
    }
    if !parts.events.is_empty() {
        let before: usize = parts.events.iter().map(|e| e.message.len() + e.reason.len()).sum();
        let keep = if parts.events.len() > MIN_EVENTS {
            (parts.events.len() / 2).max(MIN_EVENTS)
        } else {
            0
        };
        let drop = parts.events.len() - keep;
        parts.events.drain(..drop);
        let after: usize = parts.events.iter().map(|e| e.message.len() + e.reason.len()).sum();
        record(cuts, "events".into(), before, after);
        return true;
    }
    if let Some(o) = parts.object.take() {
        let before = o.len();
        if before > MIN_OBJECT_BYTES {
            let (kept, _) = keep_head(&o, MIN_OBJECT_BYTES);
            record(cuts, "object".into(), before, kept.len());
            parts.object = Some(kept);
        } else {
            record(cuts, "object".into(), before, 0);
        }
        return true;
    }
    if let Some(s) = parts.similar.take() {
        record(cuts, "similar incidents".into(), json_len(&s), 0);
        return true;
    }
    if let Some(h) = parts.history.take() {
        record(cuts, "history".into(), json_len(&h), 0);
        return true;
    }
    if parts.pods.len() > MIN_PODS {
        let before = parts.pods.len();
        parts.pods.truncate(MIN_PODS);
        record(cuts, format!("pods ({before} listed)"), before, MIN_PODS);
        return true;
    }
    false
}

/// Renders the incident prompt with `render`, cutting `parts` until the estimate of the
/// prompt plus `fixed_tokens` (system prompt, tool schemas) fits `budget`. When nothing
/// is left to cut it returns what it has, over budget (the sizes say so).
pub fn fit(
    mut parts: Parts,
    fixed_tokens: u64,
    budget: u64,
    render: impl Fn(&Parts, &[PromptCut]) -> Result<String, PromptError>,
) -> Result<Fitted, PromptError> {
    let mut cuts: Vec<PromptCut> = Vec::new();
    loop {
        let incident = render(&parts, &cuts)?;
        let estimated = fixed_tokens + estimate_tokens(&incident);
        if estimated <= budget || !cut_once(&mut parts, &mut cuts) {
            if estimated > budget {
                tracing::warn!(
                    estimated,
                    budget,
                    "the prompt is over its token budget with nothing left to cut"
                );
            }
            return Ok(Fitted {
                sizes: PromptSizes {
                    estimated_tokens: estimated,
                    budget_tokens: budget,
                    system_bytes: 0,
                    incident_bytes: incident.len(),
                    cuts,
                },
                incident,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{EventFacts, LogTail};

    fn parts() -> Parts {
        let log = |pod: &str, lines: usize| LogTail {
            pod: pod.into(),
            container: "app".into(),
            previous: false,
            text: (0..lines)
                .map(|i| format!("2026-01-01T00:00:{i:02}Z line {i}\n"))
                .collect(),
            truncated: false,
        };
        Parts {
            logs: vec![log("a", 2000), log("b", 400)],
            events: (0..10)
                .map(|i| EventFacts {
                    object: "pod/a".into(),
                    type_: "Warning".into(),
                    reason: "BackOff".into(),
                    message: format!("back-off {i} restarting failed container"),
                    count: i,
                    last_seen: None,
                })
                .collect(),
            object: Some("x: 1\n".repeat(3000)),
            ..Parts::default()
        }
    }

    fn render(p: &Parts, _: &[PromptCut]) -> Result<String, PromptError> {
        let mut s = String::new();
        p.logs.iter().for_each(|l| s.push_str(&l.text));
        p.events.iter().for_each(|e| s.push_str(&e.message));
        s.push_str(p.object.as_deref().unwrap_or(""));
        Ok(s)
    }

    #[test]
    fn estimate_errs_high() {
        assert_eq!(estimate_tokens(""), 1);
        assert_eq!(estimate_tokens("abcd"), 3);
        let english = "The deployment rolled out twelve minutes ago and crash-loops since.";
        assert!(estimate_tokens(english) > (english.len() as u64) / 4);
    }

    #[test]
    fn logs_are_cut_first_then_events_with_sizes_recorded() {
        let full = render(&parts(), &[]).unwrap();
        let logs_bytes: usize = parts().logs.iter().map(|l| l.text.len()).sum();
        // room for everything but most of the logs
        let budget = estimate_tokens(&full) - (logs_bytes as u64 / 3) + 300;
        let fitted = fit(parts(), 0, budget, render).unwrap();
        assert!(fitted.sizes.estimated_tokens <= budget, "{:?}", fitted.sizes);
        assert!(
            fitted.sizes.cuts.iter().all(|c| c.what.starts_with("log ")),
            "{:?}",
            fitted.sizes.cuts
        );
        let a = &fitted.sizes.cuts[0];
        assert_eq!(a.what, "log a/app");
        assert!(a.bytes_before > a.bytes_after);
        assert!(fitted.incident.contains("back-off 9"), "events are kept");
        assert!(fitted.incident.contains("line 1999"), "the newest log lines are kept");

        // a budget that needs the events cut too
        let tiny = fit(parts(), 0, 4_000, render).unwrap();
        let whats: Vec<&str> = tiny.sizes.cuts.iter().map(|c| c.what.as_str()).collect();
        let events_at = whats.iter().position(|w| *w == "events").unwrap();
        assert!(whats[..events_at].iter().all(|w| w.starts_with("log ")), "{whats:?}");
        assert_eq!(whats[events_at + 1..], ["object"], "{whats:?}");
        assert!(tiny.sizes.estimated_tokens <= 4_000, "{:?}", tiny.sizes);

        // nothing fits: everything cut, over budget, said so
        let none = fit(parts(), 10, 10, render).unwrap();
        assert!(none.sizes.estimated_tokens > 10);
        assert!(none.sizes.cuts.iter().any(|c| c.what == "object" && c.bytes_after == 0));
    }
}
