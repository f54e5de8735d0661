//! The HTML report opens in headless Chromium with its chart visible: the test renders a
//! real report, takes a screenshot and decodes the PNG, looking for the deciders' colours
//! where the chart draws them. Chromium is installed by `.ci/run` (Debian's `chromium`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use medic::actions::{Action, Escalate};
use medic::config::Config;
use medic::context::Context;
use medic::decide::{DecideError, DecidedBy, Decider, Decision};
use medic::eval::report::write_all;
use medic::eval::{DeciderFactory, RunRecord, load_dir, run_suite};
use medic::incident::Incident;

/// Escalates everything (a second decider, so the chart has two points per panel).
struct EscalateAll;

#[async_trait]
impl Decider for EscalateAll {
    fn name(&self) -> &str {
        "escalate-all"
    }

    async fn decide(&self, _incident: &Incident, context: &Context) -> Result<Option<Decision>, DecideError> {
        Ok(Some(Decision {
            action: Action::Escalate(Escalate { reason: None }),
            target: context.target.clone(),
            rationale: "always a human".into(),
            confidence: 1.0,
            decided_by: DecidedBy {
                decider: "test".into(),
                name: "escalate-all".into(),
            },
            alternatives: Vec::new(),
            llm: None,
        }))
    }
}

fn chromium() -> PathBuf {
    if let Ok(path) = std::env::var("MEDIC_CHROMIUM") {
        return PathBuf::from(path);
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = Path::new(dir).join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "headless Chromium is needed to check the HTML report: `apt-get install chromium` (.ci/run does), or set MEDIC_CHROMIUM"
    );
}

/// RGB pixels of a PNG file.
fn pixels(png_file: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let file = std::io::BufReader::new(std::fs::File::open(png_file).unwrap());
    let mut decoder = png::Decoder::new(file);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let samples = info.color_type.samples();
    assert!(samples >= 3, "expected a colour screenshot, got {:?}", info.color_type);
    let px = buf[..info.buffer_size()]
        .chunks_exact(samples)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, px)
}

fn hex(color: &str) -> [u8; 3] {
    let v = u32::from_str_radix(color.trim_start_matches('#'), 16).unwrap();
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
}

#[tokio::test]
async fn the_html_report_renders_in_headless_chromium_with_the_chart_visible() {
    let browser = chromium();
    let mut scenarios = load_dir(Path::new("evals/scenarios")).unwrap();
    scenarios.retain(|s| s.scenario.tags.iter().any(|t| t == "easy"));
    let config = Config::default();
    let rules = DeciderFactory::new(&medic::eval::DeciderSpec::Rules, &config, None).unwrap();
    let escalate = DeciderFactory::fixed("escalate-all", Arc::new(EscalateAll));
    let report = run_suite(&config, &scenarios, &[rules, escalate], 1).await;
    assert!(report.runs.iter().all(|r: &RunRecord| r.errors.is_empty()));

    let dir = tempfile::tempdir().unwrap();
    let files = write_all(&report, dir.path()).unwrap();
    let html = files.iter().find(|f| f.ends_with("report.html")).unwrap();
    let shot = dir.path().join("report.png");
    let profile = dir.path().join("chromium-profile");
    let run = tokio::process::Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,900")
        .arg(format!("file://{}", html.display()))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("chromium took more than two minutes")
        .expect("chromium could not be started");
    assert!(
        shot.is_file(),
        "no screenshot: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let (width, height, px) = pixels(&shot);
    assert_eq!((width, height), (1200, 900));
    let white = hex("#ffffff");
    let inked = px.iter().filter(|p| !near(**p, white)).count();
    assert!(
        inked * 100 > px.len() * 3,
        "the page is nearly blank: {inked} of {} pixels",
        px.len()
    );
    for (i, color) in ["#2563eb", "#dc2626"].iter().enumerate() {
        let c = hex(color);
        let count = px.iter().filter(|p| near(**p, c)).count();
        // Two points (r = 10) and a legend square per decider: well over 300 pixels.
        assert!(
            count >= 300,
            "decider {i}'s colour {color} covers only {count} pixels: the chart is not visible"
        );
    }
}
