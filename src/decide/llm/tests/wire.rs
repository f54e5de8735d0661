//! The requests medic sends, as each provider documents them, and the answers it reads.

use serde_json::{Value, json};

use super::fixtures::*;
use super::mock::{MockServer, Script, Wire};
use crate::actions::ActionSettings;
use crate::cluster::ObjectRef;
use crate::decide::Decider;
use crate::decide::llm::allowed::allowed_actions;
use crate::decide::llm::schema::params_schema;
use crate::policy::PolicyConfig;

fn restart_answer() -> Value {
    json!({
        "action": "restart_pod", "params": {},
        "target": {"kind": "Pod", "namespace": "shop", "name": POD},
        "confidence": 0.7, "rationale": "the pod crash-loops", "alternatives": ["escalate: not needed"]
    })
}

fn tool_names(tools: &Value, key: &str) -> Vec<String> {
    tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.pointer(key).and_then(Value::as_str).unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn openai_request_has_the_model_the_catalog_schema_the_messages_and_the_key() {
    let server = MockServer::start(Wire::OpenAi, vec![Script::answer(restart_answer())]).await;
    let cluster = demo_cluster();
    let incident = crash_incident();
    let context = context_of(&cluster, &incident).await;
    let d = decider(openai(&server, quick()), settings(), cluster);
    let decision = d.decide(&incident, &context).await.unwrap().unwrap();

    let req = &server.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(req.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    let body = &req.body;
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["max_completion_tokens"], 1024);
    assert_eq!(body["tool_choice"], "required");
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["role"], "user");
    let incident_text = body["messages"][1]["content"].as_str().unwrap();
    for expected in [
        "KubePodCrashLooping",
        POD,
        "OOMKilled",
        "# Actions allowed for this incident",
    ] {
        assert!(
            incident_text.contains(expected),
            "{expected} missing from the incident prompt"
        );
    }
    assert_eq!(
        tool_names(&body["tools"], "/function/name"),
        [
            "get_object",
            "list_events",
            "tail_logs",
            "describe_node",
            "history_stats",
            "similar_incidents",
            "choose_action"
        ]
    );
    assert!(
        body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["type"] == "function")
    );
    let choose = &body["tools"][6]["function"]["parameters"];
    let allowed = allowed_actions(
        &PolicyConfig::default(),
        &ActionSettings::default(),
        &incident,
        &context,
    );
    let names: Vec<&str> = allowed.iter().map(|k| k.name()).collect();
    assert_eq!(choose["properties"]["action"]["enum"], json!(names));
    let any_of = choose["properties"]["params"]["anyOf"].as_array().unwrap();
    for (schema, kind) in any_of.iter().zip(&allowed) {
        assert_eq!(schema, &params_schema(*kind), "{kind}");
    }
    assert_eq!(
        choose["required"],
        json!(["action", "params", "confidence", "rationale"])
    );

    assert_eq!(decision.action_name(), "restart_pod");
    assert_eq!(decision.target, Some(ObjectRef::namespaced("Pod", "shop", POD)));
    assert_eq!(
        (decision.decided_by.decider.as_str(), decision.decided_by.name.as_str()),
        ("llm", "gpt-test")
    );
    assert_eq!(decision.alternatives, vec!["escalate: not needed"]);
    let usage = decision.llm.unwrap();
    assert_eq!((usage.provider.as_str(), usage.model.as_str()), ("openai", "gpt-test"));
    assert_eq!((usage.tokens_in, usage.tokens_out, usage.turns), (42, 7, 1));
    assert!(usage.prompt.estimated_tokens > 0 && usage.prompt.incident_bytes > 0);
}

#[tokio::test]
async fn azure_uses_the_deployment_path_the_api_version_and_the_api_key_header() {
    let server = MockServer::start(Wire::OpenAi, vec![Script::answer(restart_answer())]).await;
    let cluster = demo_cluster();
    let incident = crash_incident();
    let context = context_of(&cluster, &incident).await;
    let d = decider(azure(&server), settings(), cluster);
    let decision = d.decide(&incident, &context).await.unwrap().unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.path, "/openai/deployments/medic-gpt/chat/completions");
    assert_eq!(req.query.as_deref(), Some("api-version=2024-10-21"));
    assert_eq!(req.header("api-key"), Some("azure-key"));
    assert_eq!(req.header("authorization"), None);
    assert_eq!(decision.llm.unwrap().provider, "azure");
}

#[tokio::test]
async fn anthropic_request_and_a_tool_use_round_trip() {
    let server = MockServer::start(
        Wire::Anthropic,
        vec![
            Script::tool("describe_node", r#"{"name": "worker-1"}"#),
            Script::answer(restart_answer()),
        ],
    )
    .await;
    let cluster = demo_cluster();
    let incident = crash_incident();
    let context = context_of(&cluster, &incident).await;
    let d = decider(anthropic(&server, quick()), settings(), cluster);
    let decision = d.decide(&incident, &context).await.unwrap().unwrap();
    assert_eq!(decision.action_name(), "restart_pod");

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let first = &reqs[0];
    assert_eq!(first.path, "/v1/messages");
    assert_eq!(first.header("x-api-key"), Some("ak-test"));
    assert_eq!(first.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(first.body["model"], "claude-test");
    assert_eq!(first.body["max_tokens"], 1024);
    assert!(first.body["system"].as_str().unwrap().starts_with("You are medic"));
    assert_eq!(first.body["tool_choice"], json!({"type": "any"}));
    let tools = &first.body["tools"];
    assert_eq!(tool_names(tools, "/name").last().unwrap(), "choose_action");
    assert!(tools[0]["input_schema"].is_object() && tools[0].get("type").is_none());
    assert_eq!(first.body["messages"][0]["role"], "user");
    assert_eq!(first.body["messages"][0]["content"][0]["type"], "text");

    let second = &reqs[1];
    let messages = second.messages();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(
        messages[1]["content"][0],
        json!({"type": "tool_use", "id": "toolu_1_0", "name": "describe_node", "input": {"name": "worker-1"}})
    );
    let result = &messages[2]["content"][0];
    assert_eq!(
        (result["type"].as_str(), result["tool_use_id"].as_str()),
        (Some("tool_result"), Some("toolu_1_0"))
    );
    let text = result["content"].as_str().unwrap();
    assert!(text.contains("node worker-1") && text.contains("<<<DATA "), "{text}");
    // investigation is still allowed after one call
    assert_eq!(second.body["tool_choice"], json!({"type": "any"}));
    let usage = decision.llm.unwrap();
    assert_eq!((usage.tokens_in, usage.tokens_out, usage.turns), (84, 14, 2));
    assert_eq!(usage.tool_calls[0].name, "describe_node");
}
