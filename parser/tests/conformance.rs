//! Conformance with FreeBSD's own `jail -e ' | '` output.
//!
//! The expected results beside every input were produced by FreeBSD's own
//! jail(8) configuration code (main/15 era). Standard output and the exit
//! status must match byte for byte; standard error only names the problems.

use std::path::{Path, PathBuf};

use jailconf_parser::{dump, Config, DiskLoader, MainFile, Target};

const SEPARATOR: &[u8] = b" | ";

fn shared() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    assert!(
        dir.join("corpus").is_dir(),
        "the shared corpus must be beside the repository: {} is missing",
        dir.display()
    );
    dir
}

/// What `jail -e ' | '` would print and its exit status.
fn evaluate(path: &Path, target: Target) -> (Vec<u8>, i32) {
    let text = std::fs::read(path).expect("read input");
    let config = Config::load(MainFile::from_path(path, text), &DiskLoader, target);
    if config.fatal {
        (Vec::new(), 1)
    } else {
        (dump::jail_e(&config, SEPARATOR), 0)
    }
}

fn read_rc(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .expect("read .rc")
        .trim()
        .parse()
        .expect("numeric .rc")
}

/// Compares every input of a directory with its expected results; returns
/// the number of cases checked.
fn check_dir(inputs: &Path, expected: &Path, filter: impl Fn(&Path) -> bool) -> usize {
    check_dir_named(inputs, expected, filter, |name| name.to_string())
}

/// Like [`check_dir`], with `stem` naming the expected files of an input.
fn check_dir_named(
    inputs: &Path,
    expected: &Path,
    filter: impl Fn(&Path) -> bool,
    stem: impl Fn(&str) -> String,
) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(inputs)
        .expect("read corpus dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && filter(p))
        .collect();
    entries.sort();
    for input in entries {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let stem = stem(&name);
        let out = std::fs::read(expected.join(format!("{stem}.out"))).expect("read .out");
        let rc = read_rc(&expected.join(format!("{stem}.rc")));
        let (got_out, got_rc) = evaluate(&input, Target::V15);
        checked += 1;
        if got_out != out || got_rc != rc {
            failures.push(format!(
                "{name}: expected rc {rc}, got {got_rc}\n--- expected\n{}--- got\n{}",
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&got_out)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    checked
}

#[test]
fn generated_adversarial_configs() {
    let dir = shared().join("corpus/generated");
    // Expected files are named gNNNN.out / gNNNN.rc.
    let checked = check_dir_named(
        &dir,
        &dir,
        |p| p.extension().is_some_and(|e| e == "conf"),
        |name| name.trim_end_matches(".conf").to_string(),
    );
    assert_eq!(checked, 400);
}

#[test]
fn real_world_configs() {
    let corpus = shared().join("corpus");
    let checked = check_dir(
        &corpus.join("real"),
        &corpus.join("expected-15/real"),
        |_| true,
    );
    assert_eq!(checked, 77);
}

#[test]
fn freebsd_test_suite_configs() {
    let corpus = shared().join("corpus");
    let checked = check_dir(
        &corpus.join("freebsd-tests"),
        &corpus.join("expected-15/freebsd-tests"),
        |p| p.extension().is_none_or(|e| e != "md"),
    );
    let derived = check_dir(
        &corpus.join("freebsd-tests/derived"),
        &corpus.join("expected-15/freebsd-tests/derived"),
        |_| true,
    );
    assert_eq!(checked + derived, 10);
}

/// The spec's examples describe their expectations in one file each.
struct Expected {
    rc: i32,
    stdout: Vec<u8>,
}

fn parse_expected(text: &str) -> Expected {
    let status = text
        .lines()
        .find_map(|l| l.strip_prefix("exit status:"))
        .expect("exit status line")
        .trim();
    // Two examples say "non-zero (normally 1)": jailconf exits 1 there.
    let rc = if status.starts_with("non-zero") {
        1
    } else {
        status.parse().expect("numeric exit status")
    };
    let start = text
        .find("--- stdout (exact) ---\n")
        .expect("stdout marker")
        + "--- stdout (exact) ---\n".len();
    let end = text.find("--- stderr (exact) ---").expect("stderr marker");
    let stdout = &text[start..end];
    let stdout = if stdout == "(empty)\n" { "" } else { stdout };
    Expected {
        rc,
        stdout: stdout.as_bytes().to_vec(),
    }
}

#[test]
fn spec_examples() {
    let dir = shared().join("spec/examples");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    inputs.sort();
    let mut failures = Vec::new();
    for input in &inputs {
        let expected_path = input.with_extension("expected");
        let expected = parse_expected(&std::fs::read_to_string(&expected_path).unwrap());
        // The examples were produced with the separator `|`.
        let text = std::fs::read(input).unwrap();
        let config = Config::load(MainFile::from_path(input, text), &DiskLoader, Target::V15);
        let (out, rc) = if config.fatal {
            (Vec::new(), 1)
        } else {
            (dump::jail_e(&config, b"|"), 0)
        };
        if out != expected.stdout || rc != expected.rc {
            failures.push(format!(
                "{}: expected rc {}, got {rc}\n--- expected\n{}--- got\n{}",
                input.display(),
                expected.rc,
                String::from_utf8_lossy(&expected.stdout),
                String::from_utf8_lossy(&out)
            ));
        }
    }
    assert_eq!(inputs.len(), 20);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
