//! `notify` planning, and the notifications `escalate` plans.

use serde_json::json;

use crate::actions::settings::NotifyFormat;
use crate::actions::test_support::{NODES, action, invalid_params, node, not_applicable};
use crate::cluster::Operation;

#[tokio::test]
async fn notify_posts_the_incident_to_the_first_channel() {
    let f = NODES
        .alert_on_node("worker-1")
        .with_channel("ops", NotifyFormat::Slack, false)
        .with_channel("pager", NotifyFormat::Json, true);
    let plan = f.plan(&action("notify", json!({}))).await.unwrap();
    let text = "[firing] KubeNodeNotReady (warning) on node/worker-1: Node is not ready.";
    assert_eq!(
        plan.operations,
        vec![Operation::Notify {
            channel: "ops".into(),
            text: text.into(),
        }]
    );
    assert_eq!(plan.target, Some(node("worker-1")));
    assert!(plan.changes.is_empty());
    assert_eq!(
        plan.render(),
        format!(
            "\
notify: post a message about KubeNodeNotReady to notify channel \"ops\"
  NOTIFY ops
  note: message: {text}
"
        )
    );
    assert!(f.cluster.applied().is_empty());
}

#[tokio::test]
async fn notify_takes_the_channel_and_message_asked_for() {
    let f = NODES
        .alert_on_node("worker-1")
        .with_channel("ops", NotifyFormat::Slack, false)
        .with_channel("pager", NotifyFormat::Json, true);
    let plan = f
        .plan(&action(
            "notify",
            json!({"channel": "pager", "message": "worker-1 is flapping; cordoned for now"}),
        ))
        .await
        .unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Notify {
            channel: "pager".into(),
            text: "worker-1 is flapping; cordoned for now".into(),
        }]
    );
    let (field, message) = invalid_params(f.plan(&action("notify", json!({"channel": "sms"}))).await);
    assert_eq!(field, "params.channel");
    assert_eq!(message, "no channel \"sms\" in actions.notify (channels: ops, pager)");
}

#[tokio::test]
async fn notify_without_channels_is_not_applicable() {
    let f = NODES.alert_on_node("worker-1");
    let (target, reason) = not_applicable(f.plan(&action("notify", json!({}))).await);
    assert_eq!(target, "node/worker-1");
    assert_eq!(reason, "no notify channel configured (actions.notify)");
}

#[tokio::test]
async fn escalate_notifies_the_on_escalate_channels() {
    let f = NODES
        .alert_on_node("worker-1")
        .with_channel("ops", NotifyFormat::Slack, false)
        .with_channel("pager", NotifyFormat::Json, true);
    let plan = f
        .plan(&action("escalate", json!({"reason": "the node's disk is failing"})))
        .await
        .unwrap();
    assert_eq!(
        plan.operations,
        vec![Operation::Notify {
            channel: "pager".into(),
            text: "medic escalation: the node's disk is failing\n\
                   - incident: KubeNodeNotReady (warning): Node is not ready.\n\
                   - look at node/worker-1"
                .into(),
        }]
    );
    assert_eq!(
        plan.render(),
        "\
escalate: hand to a human: the node's disk is failing
  NOTIFY pager
  note: incident: KubeNodeNotReady (warning): Node is not ready.
  note: look at node/worker-1
"
    );
    assert!(!crate::actions::ActionKind::Escalate.mutates());
    assert!(!crate::actions::ActionKind::Notify.mutates());

    let quiet = NODES
        .alert_on_node("worker-1")
        .with_channel("ops", NotifyFormat::Slack, false);
    let plan = quiet.plan(&action("escalate", json!({}))).await.unwrap();
    assert!(plan.operations.is_empty(), "no channel asked to hear about escalations");
}
