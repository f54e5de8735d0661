//! Readable diffs of objects as YAML, for plans and dry-run output.
//!
//! A patched object's diff is a unified diff (3 lines of context) of `kubectl get -o
//! yaml`-like renderings of the live object and of the object after the patch, computed
//! locally with [`PatchBody::apply_to`] so that it shows exactly what the API server would
//! apply. Fields that change on every write and that nobody reads in a review
//! (`metadata.resourceVersion`, `metadata.generation`, `metadata.managedFields`, the
//! last-applied annotation) are left out of every rendering.
//!
//! This module only renders: it must not read the cluster or decide anything.

use serde_json::Value;
use similar::udiff::UnifiedHunkHeader;
use similar::{Algorithm, DiffTag};

use super::ActionError;
use super::plan::Change;
use crate::cluster::{Object, PatchBody};

/// Lines of context around each change.
const CONTEXT_LINES: usize = 3;

/// The object's YAML without write-bookkeeping noise (see the module doc).
fn review_yaml(obj: &Object) -> String {
    let mut v = obj.trimmed().0;
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
        meta.remove("generation");
    }
    Object(v).to_yaml()
}

/// The object's YAML for a whole-object rendering (deleted or created): as
/// [`review_yaml`], and without `status`, which is runtime state rather than something
/// medic removes or writes.
fn whole_yaml(obj: &Object) -> String {
    let mut v = obj.0.clone();
    if let Some(map) = v.as_object_mut() {
        map.remove("status");
    }
    review_yaml(&Object(v))
}

/// A unified diff of two YAML texts (`---`/`+++` headers, `@@` hunks with
/// [`CONTEXT_LINES`] of context); empty when they are equal.
///
/// Lines are paired by their text *and* the keys of their ancestors, so that an equal
/// line under another parent (`cpu: 500m` as a limit before, as a request after) is not
/// taken as unchanged: the hunks then read field by field.
fn unified(old: &str, new: &str, old_header: &str, new_header: &str) -> String {
    let old_lines: Vec<&str> = old.lines().collect();
    let new_lines: Vec<&str> = new.lines().collect();
    let ops = similar::capture_diff_slices(Algorithm::Myers, &keyed(&old_lines), &keyed(&new_lines));
    let hunks = similar::group_diff_ops(ops, CONTEXT_LINES);
    if hunks.is_empty() {
        return String::new();
    }
    let mut out = format!("--- {old_header}\n+++ {new_header}\n");
    for hunk in hunks {
        out.push_str(&format!("{}\n", UnifiedHunkHeader::new(&hunk)));
        for op in &hunk {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            let mut emit = |sign: char, lines: &[&str]| {
                for line in lines {
                    out.push(sign);
                    out.push_str(line);
                    out.push('\n');
                }
            };
            match tag {
                DiffTag::Equal => emit(' ', &old_lines[old_range]),
                DiffTag::Delete => emit('-', &old_lines[old_range]),
                DiffTag::Insert => emit('+', &new_lines[new_range]),
                DiffTag::Replace => {
                    emit('-', &old_lines[old_range]);
                    emit('+', &new_lines[new_range]);
                }
            }
        }
    }
    out
}

/// Each line of a block-style YAML document with the keys of its ancestors (`-` for a
/// sequence item), e.g. `spec/template/spec/containers/-/resources/limits` for
/// `cpu: 500m` under a container's limits.
fn keyed<'a>(lines: &[&'a str]) -> Vec<(String, &'a str)> {
    let mut parents: Vec<(usize, &str)> = Vec::new();
    lines
        .iter()
        .map(|line| {
            let content = line.trim_start();
            let indent = line.len() - content.len();
            let item = content.starts_with("- ") || content == "-";
            // A sequence may sit at its key's indentation (`containers:` / `- name: x`).
            while let Some(&(i, key)) = parents.last() {
                if i > indent || (i == indent && !(item && key != "-")) {
                    parents.pop();
                } else {
                    break;
                }
            }
            let path = parents.iter().map(|(_, k)| *k).collect::<Vec<_>>().join("/");
            let key = if item {
                "-"
            } else {
                content.split_once(':').map(|(k, _)| k).unwrap_or(content)
            };
            parents.push((indent, key));
            (path, *line)
        })
        .collect()
}

/// A unified diff of `before` → `after` as YAML, with the headers
/// `--- deployment/shop/api (live)` and `+++ deployment/shop/api (after medic)`.
/// Empty when the two render the same.
pub fn object_diff(before: &Object, after: &Object) -> String {
    let name = before.reference().to_string();
    unified(
        &review_yaml(before),
        &review_yaml(after),
        &format!("{name} (live)"),
        &format!("{name} (after medic)"),
    )
}

/// The object shown as deleted: every line of its YAML prefixed with `-`, under the
/// headers `--- pod/shop/api-1 (live)` and `+++ pod/shop/api-1 (deleted)`.
pub fn deleted(obj: &Object) -> String {
    let name = obj.reference().to_string();
    unified(
        &whole_yaml(obj),
        "",
        &format!("{name} (live)"),
        &format!("{name} (deleted)"),
    )
}

/// The object shown as created: every line of its YAML prefixed with `+`, under the
/// headers `--- pod/shop/api-1 (absent)` and `+++ pod/shop/api-1 (created by medic)`.
pub fn created(obj: &Object) -> String {
    let name = obj.reference().to_string();
    unified(
        "",
        &whole_yaml(obj),
        &format!("{name} (absent)"),
        &format!("{name} (created by medic)"),
    )
}

/// The live object after `patch`, as the API server would compute it.
///
/// An error means the patch medic just planned does not fit the object it was planned
/// from: reported as [`ActionError::NotApplicable`] so that nothing is executed.
pub fn patched(action: &'static str, live: &Object, patch: &PatchBody) -> Result<Object, ActionError> {
    let not_applicable = |reason: String| ActionError::NotApplicable {
        action,
        target: live.reference().to_string(),
        reason,
    };
    let after = patch
        .apply_to(&live.0)
        .map_err(|e| not_applicable(format!("the planned patch does not apply to the live object: {e}")))?;
    Object::new(after).map_err(|e| not_applicable(format!("the planned patch breaks the object: {e}")))
}

/// The [`Change`] a patch makes to a live object: its diff computed through
/// [`PatchBody::apply_to`].
pub fn patch_change(action: &'static str, live: &Object, patch: &PatchBody) -> Result<Change, ActionError> {
    let after = patched(action, live, patch)?;
    Ok(Change {
        object: live.reference(),
        diff: object_diff(live, &after),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(replicas: i64, rv: &str) -> Object {
        Object::new(json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "resourceVersion": rv, "generation": 3,
                "managedFields": [{"manager": "kubectl"}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "api"}}}
        }))
        .unwrap()
    }

    #[test]
    fn object_diff_has_headers_and_no_bookkeeping_noise() {
        let d = object_diff(&deployment(2, "7"), &deployment(4, "8"));
        assert_eq!(
            d,
            "--- deployment/shop/api (live)\n\
             +++ deployment/shop/api (after medic)\n\
             @@ -4,7 +4,7 @@\n   \
               name: api\n   \
               namespace: shop\n \
             spec:\n\
             -  replicas: 2\n\
             +  replicas: 4\n   \
               selector:\n     \
                 matchLabels:\n       \
                   app: api\n"
        );
        assert_eq!(object_diff(&deployment(2, "7"), &deployment(2, "9")), "");
    }

    #[test]
    fn equal_lines_under_other_parents_are_not_paired() {
        let res = |limit: &str, request: &str| {
            Object::new(json!({
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
                "spec": {"containers": [{"name": "a", "resources": {
                    "limits": {"cpu": limit}, "requests": {"cpu": request}}}]}
            }))
            .unwrap()
        };
        let d = object_diff(&res("500m", "250m"), &res("1", "500m"));
        assert!(
            d.ends_with(
                "   - name: a\n     resources:\n       limits:\n\
                 -        cpu: 500m\n+        cpu: '1'\n       requests:\n\
                 -        cpu: 250m\n+        cpu: 500m\n"
            ),
            "{d}"
        );
    }

    #[test]
    fn deleted_and_created_show_the_whole_object_without_status() {
        let pod = Object::new(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "api-1", "namespace": "shop", "resourceVersion": "3"},
            "status": {"phase": "Running"}
        }))
        .unwrap();
        assert_eq!(
            deleted(&pod),
            "--- pod/shop/api-1 (live)\n+++ pod/shop/api-1 (deleted)\n@@ -1,5 +0,0 @@\n\
             -apiVersion: v1\n-kind: Pod\n-metadata:\n-  name: api-1\n-  namespace: shop\n"
        );
        let c = created(&pod);
        assert!(c.starts_with("--- pod/shop/api-1 (absent)\n+++ pod/shop/api-1 (created by medic)\n@@ -0,0 +1,5 @@\n"));
        assert!(c.contains("+kind: Pod\n"));
        assert!(!c.contains("Running"));
    }

    #[test]
    fn patch_change_applies_the_patch_and_refuses_one_that_does_not_fit() {
        let live = deployment(2, "7");
        let ok = PatchBody::Merge(json!({"spec": {"replicas": 3}}));
        let change = patch_change("scale_deployment", &live, &ok).unwrap();
        assert_eq!(change.object.to_string(), "deployment/shop/api");
        assert!(change.diff.contains("-  replicas: 2\n+  replicas: 3\n"));
        let stale = PatchBody::Json(json!([{"op": "test", "path": "/metadata/resourceVersion", "value": "6"}]));
        let err = patch_change("scale_deployment", &live, &stale).unwrap_err();
        assert!(err.to_string().contains("the planned patch does not apply"), "{err}");
    }
}
