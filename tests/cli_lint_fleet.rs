//! `jailconf lint --fleet DIR` through the real binary, on the fixtures in
//! `fixtures/lint/fleet/` (one folder per host).

use std::path::{Path, PathBuf};
use std::process::Command;

fn fleets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint/fleet")
}

fn jailconf(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .args(args)
        .current_dir(fleets())
        .env("NO_COLOR", "1")
        .output()
        .expect("run jailconf");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Only the fleet rules, so the snapshots show what crosses hosts.
const FLEET_RULES: &str = "JC100,JC101";

#[test]
fn two_hosts_share_an_address_and_a_mac() {
    let (code, stdout, stderr) =
        jailconf(&["lint", "--fleet", "two-hosts", "--select", FLEET_RULES]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "");
    insta::assert_snapshot!(stderr);
}

#[test]
fn three_hosts_with_unknown_and_host_only_networks() {
    let (code, _, stderr) = jailconf(&["lint", "--fleet", "three-hosts", "--select", FLEET_RULES]);
    assert_eq!(code, 1, "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn json_names_hosts_and_per_host_rules_still_run() {
    let (code, stdout, stderr) = jailconf(&["lint", "--fleet", "three-hosts", "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let document: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(document["schema"], "jailconf.lint-fleet/1");
    let hosts: Vec<&str> = document["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts, ["alpha", "beta", "gamma"]);
    insta::assert_snapshot!(serde_json::to_string_pretty(&document).unwrap());
}

#[test]
fn sarif_has_one_run_per_host_and_github_annotations() {
    let (_, stdout, _) = jailconf(&["lint", "--fleet", "two-hosts", "--format", "sarif"]);
    let log: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF");
    assert_eq!(log["runs"].as_array().map(Vec::len), Some(2));
    let (_, stdout, _) = jailconf(&[
        "lint",
        "--fleet",
        "two-hosts",
        "--format",
        "github",
        "--select",
        FLEET_RULES,
    ]);
    assert!(stdout.contains("title=JC100"), "{stdout}");
    assert!(stdout.contains("title=JC101"), "{stdout}");
}

#[test]
fn usage_errors() {
    let (code, _, stderr) = jailconf(&["lint", "--fleet", "no-such-dir"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, _) = jailconf(&["lint", "--fleet", "two-hosts", "two-hosts/alpha/jail.conf"]);
    assert_eq!(code, 2);
}
