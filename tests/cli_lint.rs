//! `jailconf lint` and `jailconf explain` through the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli/lint")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn jailconf(args: &[&str], cwd: &Path) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run jailconf");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn human_output_and_exit_codes() {
    let run = jailconf(&["lint", "mixed.conf"], &fixtures());
    assert_eq!(run.code, 1, "errors found");
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!(run.stderr);

    let clean = jailconf(&["lint", "clean.conf"], &fixtures());
    assert_eq!(
        (clean.code, clean.stderr.as_str()),
        (0, "No problems found.\n")
    );

    // Warnings alone exit 0, unless --warn-as-error.
    let warnings = jailconf(&["lint", "--ignore", "JC008", "mixed.conf"], &fixtures());
    assert_eq!(warnings.code, 0, "{}", warnings.stderr);
    let strict = jailconf(
        &["lint", "--ignore", "JC008", "--warn-as-error", "mixed.conf"],
        &fixtures(),
    );
    assert_eq!(strict.code, 1);

    let missing = jailconf(&["lint", "no-such-file.conf"], &fixtures());
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    let bad_flag = jailconf(&["lint", "--format", "xml", "clean.conf"], &fixtures());
    assert_eq!(bad_flag.code, 2);
}

#[test]
fn json_output() {
    let run = jailconf(&["lint", "--format", "json", "mixed.conf"], &fixtures());
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(value["schema"], "jailconf.lint/1");
    insta::assert_snapshot!(serde_json::to_string_pretty(&value).unwrap());
}

#[test]
fn sarif_output() {
    let run = jailconf(&["lint", "--format", "sarif", "mixed.conf"], &fixtures());
    assert_eq!(run.code, 1);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    assert_eq!(value["version"], "2.1.0");
    let results = value["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let rules = value["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // Schema validation runs in CI (ci/sarif-check.sh).
}

#[test]
fn github_output() {
    let run = jailconf(&["lint", "--format", "github", "mixed.conf"], &fixtures());
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn selection_and_settings() {
    let only = jailconf(
        &[
            "lint",
            "--select",
            "unknown-parameter",
            "--format",
            "json",
            "mixed.conf",
        ],
        &fixtures(),
    );
    let value: serde_json::Value = serde_json::from_str(&only.stdout).unwrap();
    let codes: Vec<&str> = value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["JC008"]);

    // jailconf.toml above the file ignores JC008.
    let project = jailconf(
        &["lint", "--format", "json", "conf/jail.conf"],
        &fixtures().join("project"),
    );
    let value: serde_json::Value = serde_json::from_str(&project.stdout).unwrap();
    assert!(
        value["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["code"] != "JC008"),
        "{}",
        project.stdout
    );
    assert_eq!(project.code, 0);
}

#[test]
fn fix_writes_only_the_fixed_bytes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jail.conf");
    std::fs::copy(fixtures().join("mixed.conf"), &file).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();

    // Safe fixes only: the did-you-mean rename is unsafe, nothing changes.
    let run = jailconf(&["lint", "--fix", "jail.conf"], dir.path());
    assert_eq!(run.code, 1);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(fixtures().join("mixed.conf")).unwrap()
    );

    let diff = jailconf(
        &["lint", "--fix", "--unsafe-fixes", "--diff", "jail.conf"],
        dir.path(),
    );
    insta::assert_snapshot!("unsafe_fix_diff", diff.stdout);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        std::fs::read(fixtures().join("mixed.conf")).unwrap()
    );

    let fixed = jailconf(
        &["lint", "--fix", "--unsafe-fixes", "jail.conf"],
        dir.path(),
    );
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        std::fs::read_to_string(fixtures().join("mixed.conf"))
            .unwrap()
            .replace("allow.raw_socket;", "allow.raw_sockets;")
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

/// A VNET jail's block copied without its `vnet;` line: `jail -c` fails
/// when it moves the interface in (JC040, found by default), and the
/// unsafe fix adds the line.
#[test]
fn interface_without_vnet_is_found_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jail.conf");
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint/JC040/forgotten-vnet.conf");
    std::fs::copy(&source, &file).unwrap();

    let run = jailconf(&["lint", "--format", "json", "jail.conf"], dir.path());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).expect("valid JSON");
    let findings = value["findings"].as_array().unwrap();
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["JC040"]);
    assert_eq!(findings[0]["fix"]["safe"], false);

    // Safe fixes leave it alone; the unsafe fix makes the jail a VNET jail.
    let safe_only = jailconf(&["lint", "--fix", "jail.conf"], dir.path());
    assert_eq!(safe_only.code, 1);
    let fixed = jailconf(
        &["lint", "--fix", "--unsafe-fixes", "jail.conf"],
        dir.path(),
    );
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let expected = std::fs::read_to_string(&source)
        .unwrap()
        .replace("    vnet.interface", "    vnet;\n    vnet.interface");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);
}

/// A hand-written `ifconfig IF vnet JAIL` in `exec.prestart` runs before
/// the jail exists (JC041); with `vnet.interface` listing the interface,
/// the safe fix removes the statement.
#[test]
fn interface_moved_before_creation_is_found_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jail.conf");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint/JC041/own-block.conf");
    std::fs::copy(&source, &file).unwrap();

    let run = jailconf(&["lint", "jail.conf"], dir.path());
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[JC041]"), "{}", run.stderr);

    let fixed = jailconf(&["lint", "--fix", "jail.conf"], dir.path());
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    let expected = std::fs::read_to_string(&source).unwrap().replace(
        "    exec.prestart += \"ifconfig epair5b vnet web\";   # hand it over\n",
        "",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), expected);
}

#[test]
fn explain() {
    let run = jailconf(&["explain", "JC034"], &fixtures());
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("JC034 duplicate-ip: "),
        "{}",
        run.stdout
    );
    let by_name = jailconf(&["explain", "duplicate-ip"], &fixtures());
    assert_eq!(by_name.stdout, run.stdout);
    let json = jailconf(&["explain", "--json", "JC034"], &fixtures());
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["name"], "duplicate-ip");
    let unknown = jailconf(&["explain", "JC999"], &fixtures());
    assert_eq!(unknown.code, 2);
}

#[test]
fn seed_article_lints_clean_with_its_final_rc_conf() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for input in ["fixtures/seed/jail.conf", "fixtures/seed/jail.conf.d"] {
        let run = jailconf(&["lint", "--rc-conf", "fixtures/seed/rc.conf", input], root);
        assert_eq!(
            (run.code, run.stderr.as_str()),
            (0, "No problems found.\n"),
            "{input}"
        );
    }
}
