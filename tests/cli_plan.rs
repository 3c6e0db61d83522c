//! `jailconf plan` through the real binary, with fake `jls`, `ifconfig`
//! and `zfs` programs (shell scripts printing captured output) first on
//! `PATH`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory the tests run in: the repository root, so that the plan
/// names the configuration as `fixtures/apply/…`.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/apply").join(name)
}

/// A directory of fake FreeBSD programs.
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    /// `jls` prints `jls_fixture` (or fails with `jls_error`), `ifconfig`
    /// prints `ifconfig_fixture`, `zfs` fails (no ZFS).
    fn new(jls: Result<&str, &str>, ifconfig: &str) -> Host {
        let dir = tempfile::tempdir().expect("tempdir");
        let jls_script = match jls {
            Ok(name) => format!("#!/bin/sh\nexec cat '{}'\n", fixture(name).display()),
            Err(message) => format!("#!/bin/sh\necho '{message}' >&2\nexit 1\n"),
        };
        let host = Host { dir };
        host.program("jls", &jls_script);
        host.program(
            "ifconfig",
            &format!("#!/bin/sh\nexec cat '{}'\n", fixture(ifconfig).display()),
        );
        host.program("zfs", "#!/bin/sh\necho 'zfs: no pools' >&2\nexit 1\n");
        host
    }

    /// A host without jls at all (not FreeBSD).
    fn empty() -> Host {
        Host {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn program(&self, name: &str, script: &str) {
        let path = self.dir.path().join(name);
        std::fs::write(&path, script).expect("write fake program");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    fn path_env(&self) -> String {
        format!("{}:/usr/bin:/bin", self.dir.path().display())
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn plan(host: &Host, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .arg("plan")
        .args(args)
        .current_dir(root())
        .env("PATH", host.path_env())
        .env("NO_COLOR", "1")
        .env_remove("JAILCONF_STATE_FILE")
        .output()
        .expect("run jailconf");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

const STATE: &str = "fixtures/apply/host.applied.json";

#[test]
fn human_plan_with_changes_exits_2() {
    let host = Host::new(Ok("host.jls.json"), "host.ifconfig");
    let run = plan(
        &host,
        &["-f", "fixtures/apply/host.conf", "--state-file", STATE],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn no_changes_exits_0() {
    let host = Host::new(Ok("seed.jls.json"), "seed.ifconfig");
    let run = plan(
        &host,
        &[
            "-f",
            "fixtures/seed/jail.conf.d",
            "--state-file",
            "/nonexistent/applied.json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run
        .stdout
        .ends_with("\nNo changes. The host matches the configuration.\n"));
}

#[test]
fn json_and_out_file() {
    let host = Host::new(Ok("host.jls.json"), "host.ifconfig");
    let out = tempfile::tempdir().expect("tempdir");
    let saved = out.path().join("plan.json");
    let run = plan(
        &host,
        &[
            "-f",
            "fixtures/apply/host.conf",
            "--state-file",
            STATE,
            "--json",
            "--prune",
            "--out",
            saved.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    let printed: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON plan");
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved).expect("saved plan")).expect("JSON");
    assert_eq!(printed, file);
    assert_eq!(printed["schema"], "jailconf.plan/1");
    assert!(printed["fingerprint"]
        .as_str()
        .is_some_and(|f| f.starts_with("sha256:")));
    assert_eq!(printed["actions"][0]["kind"], "remove");
    assert_eq!(
        printed["actions"][0]["commands"][0],
        serde_json::json!(["jail", "-R", "old.child"])
    );
    assert_eq!(
        printed["stale"][0]["command"],
        serde_json::json!(["ifconfig", "epair60a", "destroy"])
    );
}

#[test]
fn lint_errors_stop_the_plan_unless_forced() {
    let host = Host::new(Ok("empty.jls.json"), "host.ifconfig");
    let args = [
        "-f",
        "fixtures/apply/lint-error.conf",
        "--state-file",
        STATE,
    ];
    let run = plan(&host, &args);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("JC018"), "{}", run.stderr);
    assert!(run.stderr.contains("the configuration has lint errors"));
    assert!(run.stderr.contains("--force"));

    let forced = plan(&host, &[&args[..], &["--force"]].concat());
    assert_eq!(forced.code, 2, "{}", forced.stderr);
    assert!(forced.stdout.contains("+ create web"));
}

#[test]
fn errors_exit_1_with_a_hint() {
    let run = plan(&Host::empty(), &["-f", "fixtures/apply/host.conf"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("jailconf plan must run on FreeBSD (jls not found on PATH)"),
        "{}",
        run.stderr
    );

    let failing = Host::new(Err("jls: sysctl: Operation not permitted"), "host.ifconfig");
    let run = plan(
        &failing,
        &["-f", "fixtures/apply/host.conf", "--state-file", STATE],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("jls: sysctl: Operation not permitted"));

    let host = Host::new(Ok("empty.jls.json"), "host.ifconfig");
    let run = plan(&host, &["-f", "fixtures/apply/cycle.conf", "--force"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("dependency cycle: a -> b -> c -> a"),
        "{}",
        run.stderr
    );

    let run = plan(&host, &["-f", "fixtures/apply/nonexistent.conf"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
}

#[test]
fn bad_arguments_exit_1_not_2() {
    let host = Host::empty();
    for args in [
        &["--bogus"][..],
        &["--target", "99"],
        &["--jail"],
        &["-f", "fixtures/apply/host.conf", "extra"],
    ] {
        let run = plan(&host, args);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(
            run.stderr.starts_with("error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("--help"), "{}", run.stderr);
    }

    let help = plan(&host, &["--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(help.stdout.contains("bad arguments"), "{}", help.stdout);

    // Every other command keeps clap's 2.
    let output = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .args(["apply", "--bogus"])
        .output()
        .expect("run jailconf");
    assert_eq!(output.status.code(), Some(2));
}
