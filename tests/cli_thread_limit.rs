//! `jailconf` when the system refuses it new threads (a process limit, a
//! container's pids limit): on a large configuration, lexing, jail
//! assembly and lint run on the calling thread, with the same output as
//! with threads; the language server, which cannot work without its
//! reader and writer threads, exits with status 2 and says why. Needs
//! Linux, root, `setpriv` and `prlimit` (to run the binary as `nobody`
//! with a limit of one process); elsewhere each test says so and checks
//! nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

#[path = "../fixtures/large/vnet.rs"]
mod vnet;

/// Runs `jailconf ARGS`, optionally as `nobody` limited to one process.
fn jailconf(args: &[&str], limited: bool) -> Output {
    let binary = env!("CARGO_BIN_EXE_jailconf");
    if limited {
        let limited: Vec<&str> = ["prlimit", "--nproc=1", binary]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        return as_nobody(&limited).expect("setpriv runs");
    }
    Command::new(binary)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs `ARGS` as `nobody`.
fn as_nobody(args: &[&str]) -> Option<Output> {
    Command::new("setpriv")
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .args(args)
        .output()
        .ok()
}

/// Whether the limit can be tested here: `nobody` can run the binary (so
/// this runs as root, with `setpriv`), and `prlimit --nproc=1` stops it
/// from starting another process.
fn can_limit() -> bool {
    let binary = env!("CARGO_BIN_EXE_jailconf");
    let runs = as_nobody(&[binary, "--version"]).is_some_and(|out| out.status.success());
    let limited = as_nobody(&["prlimit", "--nproc=1", "sh", "-c", "true & wait"])
        .is_some_and(|out| !out.status.success() || !out.stderr.is_empty());
    cfg!(target_os = "linux") && runs && limited
}

#[test]
fn large_configuration_without_threads() {
    if !can_limit() {
        eprintln!("skipped: needs Linux, root, setpriv and prlimit to refuse threads");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("the directory opened to nobody");
    // Past both thresholds: 512 KiB of text, 1,024 jails.
    let path = dir.path().join("jail.conf");
    std::fs::write(&path, vnet::vnet_config(1_100)).expect("the configuration written");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
        .expect("the file opened to nobody");
    let file = path.to_str().expect("a UTF-8 path");
    assert!(Path::new(file).metadata().expect("the file").len() > 512 * 1024);
    for args in [
        &["eval", "-e", " | ", file][..],
        &["eval", "--json", file],
        &["lint", "--format", "json", file],
    ] {
        let free = jailconf(args, false);
        let limited = jailconf(args, true);
        let said = String::from_utf8_lossy(&limited.stderr);
        assert_eq!(
            limited.status.code(),
            free.status.code(),
            "{args:?}: {said}"
        );
        assert!(!said.contains("panicked"), "{args:?}: {said}");
        assert!(
            limited.stdout == free.stdout,
            "{args:?}: the output differs"
        );
    }
}

#[test]
fn language_server_without_threads_exits_with_a_message() {
    if !can_limit() {
        eprintln!("skipped: needs Linux, root, setpriv and prlimit to refuse threads");
        return;
    }
    let out = jailconf(&["lsp"], true);
    let said = String::from_utf8_lossy(&out.stderr);
    // Exit status 2: the session could not start (`jailconf lsp --help`).
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("cannot start the threads"), "{said}");
}
