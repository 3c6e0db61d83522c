//! `jailfmt` and `jailconf fmt` end to end: in-place formatting, standard
//! input, `--check`, `--diff`, settings, exit codes and refusal of files
//! with syntax errors.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const UNFORMATTED: &str = "web{path=/jails/web;\nexec.start=\"/bin/sh /etc/rc\";persist;}\n";
const FORMATTED: &str =
    "web {\n    path       = /jails/web;\n    exec.start = \"/bin/sh /etc/rc\";\n    persist;\n}\n";
const BROKEN: &str = "web {\n\tpersist\n}\n";

/// Runs a binary in `dir` with `args`, feeding `stdin` (or nothing).
fn run_bin(bin: &str, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the binary");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn jailfmt(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_bin(env!("CARGO_BIN_EXE_jailfmt"), dir, args, stdin)
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn formats_standard_input_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = jailfmt(
        dir.path(),
        &["--color", "never"],
        Some(UNFORMATTED.as_bytes()),
    );
    assert_eq!(
        (code(&out), stdout(&out).as_str(), stderr(&out).as_str()),
        (0, FORMATTED, "")
    );
    let out = jailfmt(dir.path(), &["-"], Some(UNFORMATTED.as_bytes()));
    assert_eq!((code(&out), stdout(&out).as_str()), (0, FORMATTED));
    // Already formatted input is printed as it is.
    let out = jailfmt(dir.path(), &["-"], Some(FORMATTED.as_bytes()));
    assert_eq!((code(&out), stdout(&out).as_str()), (0, FORMATTED));
}

#[test]
fn formats_files_in_place_keeping_their_mode() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jail.conf", UNFORMATTED);
    let path = dir.path().join("jail.conf");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = jailfmt(dir.path(), &["jail.conf"], None);
    assert_eq!(
        (code(&out), stdout(&out).as_str(), stderr(&out).as_str()),
        (0, "", "")
    );
    assert_eq!(read(dir.path(), "jail.conf"), FORMATTED);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn an_unchanged_file_is_not_rewritten() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jail.conf", FORMATTED);
    let before = std::fs::metadata(dir.path().join("jail.conf")).unwrap();
    let out = jailfmt(dir.path(), &["jail.conf"], None);
    assert_eq!(code(&out), 0);
    let after = std::fs::metadata(dir.path().join("jail.conf")).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );
}

#[test]
fn writes_through_symbolic_links() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real.conf", UNFORMATTED);
    std::os::unix::fs::symlink("real.conf", dir.path().join("link.conf")).unwrap();
    let out = jailfmt(dir.path(), &["link.conf"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(std::fs::symlink_metadata(dir.path().join("link.conf"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(dir.path(), "real.conf"), FORMATTED);
}

#[test]
fn a_directory_means_its_conf_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jail.conf.d/a.conf", UNFORMATTED);
    write(dir.path(), "jail.conf.d/b.conf", UNFORMATTED);
    write(dir.path(), "jail.conf.d/notes.txt", UNFORMATTED);
    write(dir.path(), "jail.conf.d/sub/c.conf", UNFORMATTED);
    let out = jailfmt(dir.path(), &["--check", "jail.conf.d"], None);
    assert_eq!(code(&out), 1);
    assert_eq!(stdout(&out), "jail.conf.d/a.conf\njail.conf.d/b.conf\n");
    let out = jailfmt(dir.path(), &["jail.conf.d"], None);
    assert_eq!(code(&out), 0);
    assert_eq!(read(dir.path(), "jail.conf.d/a.conf"), FORMATTED);
    assert_eq!(read(dir.path(), "jail.conf.d/b.conf"), FORMATTED);
    assert_eq!(read(dir.path(), "jail.conf.d/notes.txt"), UNFORMATTED);
    assert_eq!(read(dir.path(), "jail.conf.d/sub/c.conf"), UNFORMATTED);
}

#[test]
fn check_lists_files_that_would_change_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.conf", UNFORMATTED);
    write(dir.path(), "b.conf", FORMATTED);
    let out = jailfmt(dir.path(), &["--check", "a.conf", "b.conf"], None);
    assert_eq!(
        (code(&out), stdout(&out).as_str(), stderr(&out).as_str()),
        (1, "a.conf\n", "")
    );
    assert_eq!(read(dir.path(), "a.conf"), UNFORMATTED);
    let out = jailfmt(dir.path(), &["--check", "b.conf"], None);
    assert_eq!((code(&out), stdout(&out).as_str()), (0, ""));
    // Standard input is named by --stdin-filepath.
    let out = jailfmt(
        dir.path(),
        &["--check", "--stdin-filepath", "etc/jail.conf", "-"],
        Some(UNFORMATTED.as_bytes()),
    );
    assert_eq!((code(&out), stdout(&out).as_str()), (1, "etc/jail.conf\n"));
    let out = jailfmt(dir.path(), &["--check"], Some(FORMATTED.as_bytes()));
    assert_eq!((code(&out), stdout(&out).as_str()), (0, ""));
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jail.conf", UNFORMATTED);
    let out = jailfmt(
        dir.path(),
        &["--diff", "--color", "never", "jail.conf"],
        None,
    );
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("diff", stdout(&out));
    assert_eq!(read(dir.path(), "jail.conf"), UNFORMATTED);
    // With --check too: the same diff, and exit status 1.
    let check = jailfmt(
        dir.path(),
        &["--diff", "--check", "--color", "never", "jail.conf"],
        None,
    );
    assert_eq!(code(&check), 1);
    assert_eq!(stdout(&check), stdout(&out));
    // Nothing to show for a formatted file.
    write(dir.path(), "jail.conf", FORMATTED);
    let out = jailfmt(dir.path(), &["--diff", "--check", "jail.conf"], None);
    assert_eq!((code(&out), stdout(&out).as_str()), (0, ""));
}

#[test]
fn colour_follows_the_option_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jail.conf", UNFORMATTED);
    let out = jailfmt(
        dir.path(),
        &["--diff", "--color", "always", "jail.conf"],
        None,
    );
    assert!(
        stdout(&out).contains("\u{1b}["),
        "no colour: {}",
        stdout(&out)
    );
    // Not a terminal: no colour by default.
    let out = jailfmt(dir.path(), &["--diff", "jail.conf"], None);
    assert!(!stdout(&out).contains("\u{1b}["));
    write(dir.path(), "broken.conf", BROKEN);
    let out = jailfmt(dir.path(), &["--color", "always", "broken.conf"], None);
    assert!(stderr(&out).contains("\u{1b}["));
    let out = Command::new(env!("CARGO_BIN_EXE_jailfmt"))
        .args(["broken.conf"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("\u{1b}["));
}

#[test]
fn syntax_errors_leave_the_file_untouched_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.conf", UNFORMATTED);
    write(dir.path(), "broken.conf", BROKEN);
    write(dir.path(), "c.conf", UNFORMATTED);
    let out = jailfmt(
        dir.path(),
        &["--color", "never", "a.conf", "broken.conf", "c.conf"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert_eq!(stdout(&out), "");
    insta::assert_snapshot!("syntax_error", stderr(&out));
    assert_eq!(read(dir.path(), "broken.conf"), BROKEN);
    // The other files are formatted all the same.
    assert_eq!(read(dir.path(), "a.conf"), FORMATTED);
    assert_eq!(read(dir.path(), "c.conf"), FORMATTED);
    // --check: syntax errors win over files to change.
    write(dir.path(), "a.conf", UNFORMATTED);
    let out = jailfmt(dir.path(), &["--check", "a.conf", "broken.conf"], None);
    assert_eq!((code(&out), stdout(&out).as_str()), (2, "a.conf\n"));
}

#[test]
fn syntax_errors_on_standard_input_print_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = jailfmt(
        dir.path(),
        &["--color", "never", "--stdin-filepath", "etc/jail.conf", "-"],
        Some(BROKEN.as_bytes()),
    );
    assert_eq!((code(&out), stdout(&out).as_str()), (2, ""));
    assert!(
        stderr(&out).contains("┌─ etc/jail.conf:2:9"),
        "{}",
        stderr(&out)
    );
    let out = jailfmt(dir.path(), &["--color", "never"], Some(BROKEN.as_bytes()));
    assert!(stderr(&out).contains("┌─ STDIN:2:9"), "{}", stderr(&out));
}

#[test]
fn settings_come_from_jailconf_toml_and_options_override_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "jailconf.toml",
        "target = 13\n[format]\nindent = \"tab\"\nalign = false\n",
    );
    write(dir.path(), "etc/jail.conf", UNFORMATTED);
    let out = jailfmt(dir.path(), &["etc/jail.conf"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        read(dir.path(), "etc/jail.conf"),
        "web {\n\tpath = /jails/web;\n\texec.start = \"/bin/sh /etc/rc\";\n\tpersist;\n}\n"
    );
    let out = jailfmt(dir.path(), &["--indent", "2", "etc/jail.conf"], None);
    assert_eq!(code(&out), 0);
    assert!(read(dir.path(), "etc/jail.conf").starts_with("web {\n  path = /jails/web;\n"));
    // The settings' target (13) rejects nested blocks; --target overrides.
    let nested = "a { b { } }\n";
    let out = jailfmt(
        dir.path(),
        &["--stdin-filepath", "etc/x.conf", "-"],
        Some(nested.as_bytes()),
    );
    assert_eq!(code(&out), 2);
    let out = jailfmt(
        dir.path(),
        &["--stdin-filepath", "etc/x.conf", "--target", "15", "-"],
        Some(nested.as_bytes()),
    );
    assert_eq!(
        (code(&out), stdout(&out).as_str()),
        (0, "a {\n\tb {\n\t}\n}\n")
    );
    // Standard input without --stdin-filepath: settings of the current
    // directory.
    let out = jailfmt(dir.path(), &["--no-align", "-"], Some(b"a {\n b;\n}\n"));
    assert_eq!(stdout(&out), "a {\n\tb;\n}\n");
    // --max-width wraps long lists.
    let out = jailfmt(
        dir.path(),
        &["--max-width", "20", "--indent", "4", "-"],
        Some(b"ip4.addr = 192.0.2.1, 192.0.2.2;\n"),
    );
    assert_eq!(stdout(&out), "ip4.addr =\n    192.0.2.1,\n    192.0.2.2;\n");
}

#[test]
fn crlf_files_keep_their_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let out = jailfmt(dir.path(), &["-"], Some(b"a{\r\nb;}\r\n"));
    assert_eq!(stdout(&out), "a {\r\n    b;\r\n}\r\n");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--indent", "many", "-"][..],
        &["--indent", "17", "-"],
        &["-", "-"],
        &["--target", "12", "-"],
        &["--stdin-filepath", "x.conf", "a.conf"],
        &["--bogus"],
    ] {
        let out = jailfmt(dir.path(), args, Some(b""));
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
    }
    write(dir.path(), "a.conf", UNFORMATTED);
    let out = jailfmt(
        dir.path(),
        &["--color", "never", "missing.conf", "a.conf"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("missing.conf: No such file or directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(dir.path(), "a.conf"), FORMATTED);
    write(dir.path(), "jailconf.toml", "[format]\nindnet = 2\n");
    let out = jailfmt(dir.path(), &["a.conf"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("jailconf.toml"), "{}", stderr(&out));
}

#[test]
fn jailconf_fmt_is_the_same_command() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "jail.conf", UNFORMATTED);
    let out = run_bin(
        env!("CARGO_BIN_EXE_jailconf"),
        dir.path(),
        &["fmt", "--check", "jail.conf"],
        None,
    );
    assert_eq!((code(&out), stdout(&out).as_str()), (1, "jail.conf\n"));
    let out = run_bin(
        env!("CARGO_BIN_EXE_jailconf"),
        dir.path(),
        &["fmt", "jail.conf"],
        None,
    );
    assert_eq!(code(&out), 0);
    assert_eq!(read(dir.path(), "jail.conf"), FORMATTED);
    let out = run_bin(
        env!("CARGO_BIN_EXE_jailconf"),
        dir.path(),
        &["--color", "never", "fmt", "-"],
        Some(UNFORMATTED.as_bytes()),
    );
    assert_eq!(stdout(&out), FORMATTED);
}

#[test]
fn help_documents_the_exit_codes() {
    let out = jailfmt(Path::new("."), &["--help"], None);
    assert_eq!(code(&out), 0);
    let help = stdout(&out);
    assert!(help.contains("Format FreeBSD jail.conf(5) files"), "{help}");
    assert!(
        help.contains("1  --check: some files would change"),
        "{help}"
    );
}
