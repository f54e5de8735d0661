//! Action tests through kube-rs: planning by reading a mock API server, and the requests
//! it recorded.

use crate::actions::plan::{Plan, PlanInput};
use crate::actions::{Action, ActionError, ActionSettings, Bounds};
use crate::cluster::Cluster;
use crate::cluster::kube::mock::{MockApi, Recorded};
use crate::context::Context;
use crate::incident::Incident;

/// Plans `action` about `incident` reading `cluster` (a client of a mock API server),
/// with an empty context and the default bounds.
pub async fn plan_through(
    cluster: &dyn Cluster,
    incident: &Incident,
    settings: &ActionSettings,
    action: &Action,
) -> Result<Plan, ActionError> {
    let context = Context::default();
    let bounds = Bounds::default();
    let input = PlanInput {
        incident,
        context: &context,
        target: None,
        cluster,
        bounds: &bounds,
        settings,
    };
    action.plan(&input).await
}

/// The requests the server saw so far, as `METHOD /path`.
pub fn request_lines(api: &MockApi) -> Vec<String> {
    api.requests().iter().map(Recorded::line).collect()
}

/// The one write (anything but a GET) the server saw; fails the test when there were
/// more or none.
pub fn only_write(api: &MockApi) -> Recorded {
    let writes: Vec<Recorded> = api.requests().into_iter().filter(|r| r.method != "GET").collect();
    assert_eq!(writes.len(), 1, "{writes:#?}");
    writes.into_iter().next().expect("one write")
}

/// Asserts that `request` is a write sent as `content_type` under medic's field manager.
pub fn assert_write(request: &Recorded, content_type: &str) {
    assert_eq!(
        request.content_type.as_deref(),
        Some(content_type),
        "{}",
        request.line()
    );
    assert_eq!(request.param("fieldManager"), Some("medic"), "{}", request.line());
}
