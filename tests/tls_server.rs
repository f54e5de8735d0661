//! TLS: `medic serve`'s server with `tls: {cert_file, key_file}` answers HTTPS with the
//! configured certificate (a self-signed one made here with rcgen, trusted by the
//! client), authentication still applies, plain HTTP on the TLS port gets nothing, and an
//! unusable key file is a start-up error naming `tls.key_file`.

use std::sync::Arc;
use std::time::Duration;

use medic::config::Config;
use medic::config::security::TlsConfig;
use medic::pipeline::WorkerHandle;
use medic::store::{SqlStore, Store};
use medic::web::AppState;
use medic::web::metrics::Metrics;
use medic::web::security::Security;
use medic::web::serve::serve_until;

const FIRING: &str = include_str!("fixtures/alertmanager/kubepodcrashlooping-firing.json");

struct Pem {
    cert: String,
    cert_file: std::path::PathBuf,
    key_file: std::path::PathBuf,
}

fn self_signed(dir: &std::path::Path) -> Pem {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let cert_file = dir.join("tls.crt");
    let key_file = dir.join("tls.key");
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, signing_key.serialize_pem()).unwrap();
    Pem {
        cert: cert.pem(),
        cert_file,
        key_file,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_configured_certificate() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed(dir.path());
    let config = Config {
        tls: Some(TlsConfig {
            cert_file: pem.cert_file.clone(),
            key_file: pem.key_file.clone(),
        }),
        ..Config::default()
    };
    let security = Security::from_config(&config)
        .unwrap()
        .with_webhook_token("tls-test-token");
    let store: Arc<dyn Store> = Arc::new(SqlStore::sqlite_in(dir.path()).await.unwrap());
    let state = AppState {
        store,
        worker: WorkerHandle::detached(),
        metrics: Arc::new(Metrics::new()),
        max_body_bytes: 1 << 20,
        security: Arc::new(security),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_until(listener, state, async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pem.cert.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok\n");
    let refused = client
        .post(format!("{base}/api/v1/alerts"))
        .header("content-type", "application/json")
        .body(FIRING)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let accepted = client
        .post(format!("{base}/api/v1/alerts"))
        .bearer_auth("tls-test-token")
        .header("content-type", "application/json")
        .body(FIRING)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);

    // A client that does not trust the certificate is refused by its own TLS check.
    let untrusting = reqwest::Client::builder()
        .tls_certs_only(Vec::<reqwest::Certificate>::new())
        .build()
        .unwrap();
    assert!(untrusting.get(format!("{base}/healthz")).send().await.is_err());
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    assert!(
        plain
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_err()
    );

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

#[test]
fn an_unusable_key_or_certificate_names_the_key() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let pem = self_signed(dir.path());
    let other = tempfile::tempdir().unwrap();
    let other_pem = self_signed(other.path());
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a key\n").unwrap();
    for (cert_file, key_file, key) in [
        (pem.cert_file.clone(), garbage.clone(), "tls.key_file"),
        (pem.cert_file.clone(), other_pem.key_file.clone(), "tls.key_file"),
        (garbage.clone(), pem.key_file.clone(), "tls.cert_file"),
        (dir.path().join("missing.crt"), pem.key_file.clone(), "tls.cert_file"),
    ] {
        let config = Config {
            tls: Some(TlsConfig { cert_file, key_file }),
            ..Config::default()
        };
        let e = Security::from_config(&config).unwrap_err().to_string();
        assert!(e.starts_with(key), "{e}");
        assert!(!e.contains("PRIVATE KEY"), "{e}");
    }
}
