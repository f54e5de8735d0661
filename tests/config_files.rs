//! The configuration files shipped with medic stay valid and truthful: the annotated
//! `config/medic.yaml` is exactly the defaults, and the config embedded in the
//! Kubernetes manifest validates.

use medic::config::{Config, load_str};

#[test]
fn annotated_example_is_exactly_the_defaults() {
    let text = std::fs::read_to_string("config/medic.yaml").unwrap();
    let config = load_str(&text, "config/medic.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config,
        Config::default(),
        "config/medic.yaml must show the defaults as they are"
    );
}

#[test]
fn kubernetes_manifest_config_validates() {
    let text = std::fs::read_to_string("deploy/kubernetes/medic.yaml").unwrap();
    let docs: Vec<serde_yaml_ng::Value> = serde_yaml_ng::Deserializer::from_str(&text)
        .map(serde::Deserialize::deserialize)
        .collect::<Result<_, _>>()
        .unwrap();
    let cm = docs
        .iter()
        .find(|d| d["kind"] == "ConfigMap")
        .expect("the manifest has the medic ConfigMap");
    let embedded = cm["data"]["medic.yaml"].as_str().unwrap();
    let config = load_str(embedded, "deploy/kubernetes/medic.yaml#medic.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        config.policy.protected_namespaces.iter().any(|n| n == "medic"),
        "medic protects its own namespace"
    );
}
