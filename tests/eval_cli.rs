//! `medic eval` on the command line: the table, the reports, and the exit code when a
//! threshold is missed (for CI gating).

use std::process::Command;

fn medic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_medic"))
}

#[test]
fn thresholds_gate_the_exit_code_and_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = medic()
        .args(["eval", "--tag", "easy", "--report"])
        .arg(dir.path())
        .args(["--max-unsafe", "0", "--min-accuracy", "10%"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("medic eval: "), "{stdout}");
    assert!(stdout.contains("rules"), "{stdout}");
    for f in ["report.json", "report.md", "report.html"] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }

    let out = medic()
        .args([
            "eval",
            "--tag",
            "easy",
            "--min-accuracy",
            "1.0",
            "--min-resolution",
            "100%",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("threshold missed: rules: accuracy"), "{stderr}");
}

#[test]
fn invalid_scenarios_and_flags_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "name: broken\nalert: {labels: {alertname: X}}\nexpect: {acceptable: [fly]}\n",
    )
    .unwrap();
    let out = medic().args(["eval", "--scenarios"]).arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("broken.yaml: expect.acceptable[0]: unknown action \"fly\""),
        "{stderr}"
    );

    let out = medic().args(["eval", "--decider", "llm"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected `rules`, `model:NAME` or `replay:FILE`"));
    let out = medic().args(["eval", "--min-accuracy", "2"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("not between 0 and 1"));
    let out = medic().args(["eval", "--record", "/tmp/x.jsonl"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--record writes a model's answers"));
}
