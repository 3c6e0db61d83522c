//! End-to-end tests of `jailconf eval`: the real binary, run from the
//! fixture's directory, with colour off. Standard output, standard error
//! and the exit status are snapshotted together.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// The result of one run of the binary.
struct Run {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    code: Option<i32>,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Exit status, standard output and standard error as one text.
    fn render(&self) -> String {
        format!(
            "exit status: {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code
                .map_or_else(|| "killed by a signal".to_string(), |c| c.to_string()),
            self.stdout(),
            self.stderr()
        )
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).expect("--json prints valid JSON")
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn seed_dir() -> PathBuf {
    repo().join("fixtures/seed")
}

fn eval_dir() -> PathBuf {
    repo().join("fixtures/eval")
}

/// Runs `jailconf --color never ARGS` in `dir`, feeding `stdin`.
fn run_with_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .arg("--color")
        .arg("never")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jailconf");
    {
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin).expect("write stdin");
    }
    let output = child.wait_with_output().expect("run jailconf");
    Run {
        stdout: output.stdout,
        stderr: output.stderr,
        code: output.status.code(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Run {
    run_with_stdin(dir, args, b"")
}

// ---------------------------------------------------------------------------
// JSON validation
// ---------------------------------------------------------------------------

/// 1-based line and column of a byte offset, computed independently.
fn line_col(text: &[u8], offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line as u64, (offset - line_start + 1) as u64)
}

/// Checks one `POINT` against the file's text (when the file is on disk).
fn check_point(point: &Value, text: Option<&[u8]>, context: &str) {
    let offset = point["offset"].as_u64().expect("offset") as usize;
    let line = point["line"].as_u64().expect("line");
    let column = point["column"].as_u64().expect("column");
    assert!(line >= 1 && column >= 1, "{context}: not 1-based: {point}");
    if let Some(text) = text {
        assert!(offset <= text.len(), "{context}: offset past the end");
        assert_eq!(
            (line, column),
            line_col(text, offset),
            "{context}: wrong line/column for offset {offset}"
        );
    }
}

/// Walks the document and checks every span.
fn check_spans(value: &Value, files: &[Option<Vec<u8>>], path: &str, count: &mut usize) {
    match value {
        Value::Object(map) => {
            if map.contains_key("start") && map.contains_key("end") && map.contains_key("file") {
                let file = map["file"].as_u64().expect("file id") as usize;
                assert!(file < files.len(), "{path}: unknown file id {file}");
                let text = files[file].as_deref();
                check_point(&map["start"], text, path);
                check_point(&map["end"], text, path);
                let (start, end) = (
                    map["start"]["offset"].as_u64().unwrap(),
                    map["end"]["offset"].as_u64().unwrap(),
                );
                assert!(start <= end, "{path}: span ends before it starts");
                *count += 1;
            }
            for (key, child) in map {
                check_spans(child, files, &format!("{path}.{key}"), count);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_spans(child, files, &format!("{path}[{i}]"), count);
            }
        }
        _ => {}
    }
}

/// Validates a `jailconf.eval/1` document produced in `dir`; returns it.
fn validate_json(run: &Run, dir: &Path) -> Value {
    let doc = run.json();
    assert_eq!(doc["schema"], "jailconf.eval/1");
    assert!(doc["target"].is_string());
    assert!(doc["valid"].is_boolean());
    for key in ["files", "jails", "diagnostics"] {
        assert!(doc[key].is_array(), "`{key}` is an array");
    }
    let files: Vec<Option<Vec<u8>>> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, file)| {
            assert_eq!(file["id"].as_u64(), Some(i as u64), "file ids are indexes");
            assert!(file["name"].is_string());
            let path = file["path"].as_str().expect("path");
            (path != "-").then(|| std::fs::read(dir.join(path)).expect("read a listed file"))
        })
        .collect();
    for jail in doc["jails"].as_array().unwrap() {
        assert!(jail["name"].is_string());
        assert!(jail["failed"].is_boolean());
        for param in jail["params"].as_array().expect("params") {
            assert!(param["name"].is_string());
            assert!(param["span"].is_object() || param["span"].is_null());
            for value in param["values"].as_array().expect("values") {
                assert!(value["text"].is_string());
                assert!(value["span"].is_object() || value["span"].is_null());
            }
        }
    }
    for diagnostic in doc["diagnostics"].as_array().unwrap() {
        for key in ["code", "severity", "message"] {
            assert!(diagnostic[key].is_string(), "diagnostic {key}");
        }
        assert!(diagnostic["primary"]["span"].is_object());
        assert!(diagnostic["secondary"].is_array());
    }
    let mut spans = 0;
    check_spans(&doc, &files, "$", &mut spans);
    assert!(spans > 0 || doc["jails"].as_array().unwrap().is_empty());
    doc
}

// ---------------------------------------------------------------------------
// The seed example
// ---------------------------------------------------------------------------

#[test]
fn seed_jail_e() {
    let run = run(&seed_dir(), &["eval", "-e", " | ", "jail.conf"]);
    assert_eq!(run.code, Some(0));
    assert!(run.stderr.is_empty());
    insta::assert_snapshot!(run.render());
}

#[test]
fn seed_human() {
    let run = run(&seed_dir(), &["eval", "jail.conf"]);
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn seed_json() {
    let run = run(&seed_dir(), &["eval", "--json", "jail.conf"]);
    assert_eq!(run.code, Some(0));
    assert!(run.stderr.is_empty());
    let doc = validate_json(&run, &seed_dir());
    assert_eq!(doc["valid"], true);
    assert_eq!(doc["target"], "15");
    let names: Vec<&str> = doc["jails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["classic", "shadow", "vnet"]);
    let files: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "jail.conf",
            "jail.conf.d/classic.conf",
            "jail.conf.d/shadow.conf",
            "jail.conf.d/vnet.conf"
        ]
    );
}

// ---------------------------------------------------------------------------
// Output forms
// ---------------------------------------------------------------------------

#[test]
fn human_output() {
    let run = run(&eval_dir(), &["eval", "model.conf"]);
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn json_output() {
    let run = run(&eval_dir(), &["eval", "--json", "model.conf"]);
    assert_eq!(run.code, Some(0));
    assert!(run.stderr.is_empty());
    let doc = validate_json(&run, &eval_dir());
    // The Latin-1 value is replaced and flagged.
    // The included `db` comes before `web`, whose block follows the include.
    let names: Vec<&str> = doc["jails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db", "web"]);
    let db = &doc["jails"][0];
    let start = db["params"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "exec.start")
        .expect("exec.start");
    assert_eq!(start["values"][0]["text"], "caf\u{fffd}");
    assert_eq!(start["values"][0]["lossy"], true);
    insta::assert_snapshot!(serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn json_output_with_diagnostics() {
    let run = run(&eval_dir(), &["eval", "--json", "undefined-variable.conf"]);
    assert_eq!(run.code, Some(0));
    let doc = validate_json(&run, &eval_dir());
    assert_eq!(doc["valid"], true);
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 2, "one per jail");
    for d in diagnostics {
        assert_eq!(d["code"], "undefined-variable");
        assert_eq!(d["primary"]["span"]["start"]["line"], 3);
        assert_eq!(d["primary"]["span"]["start"]["column"], 9);
    }
    assert!(doc["jails"]
        .as_array()
        .unwrap()
        .iter()
        .all(|j| j["failed"] == true));
}

#[test]
fn json_output_of_a_syntax_error() {
    let run = run(&eval_dir(), &["eval", "--json", "syntax-error.conf"]);
    assert_eq!(run.code, Some(1));
    let doc = validate_json(&run, &eval_dir());
    assert_eq!(doc["valid"], false);
    let first = &doc["diagnostics"][0];
    assert_eq!(first["code"], "syntax-error");
    assert_eq!(first["primary"]["span"]["start"]["line"], 4);
    assert_eq!(first["primary"]["span"]["start"]["column"], 9);
    assert_eq!(
        first["jail_message"],
        "syntax-error.conf line 5: }: syntax error"
    );
}

#[test]
fn separator_empty() {
    let run = run(&eval_dir(), &["eval", "-e", "", "nested.conf"]);
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn separator_multi_char() {
    let run = run(&eval_dir(), &["eval", "-e", " :: ", "nested.conf"]);
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

// ---------------------------------------------------------------------------
// Standard input
// ---------------------------------------------------------------------------

#[test]
fn stdin_with_relative_include() {
    // Relative includes from standard input resolve against the current
    // directory (the fixture directory here).
    let run = run_with_stdin(
        &eval_dir(),
        &["eval", "-e", " | ", "-"],
        b"exec.clean;\n.include \"inc/stdin-part.inc\";\n",
    );
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn stdin_syntax_error_is_named_stdin() {
    let run = run_with_stdin(
        &eval_dir(),
        &["eval", "-e", " | ", "-"],
        b"web {\n\tpersist\n}\n",
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.render());
}

// ---------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------

#[test]
fn nested_block_target_15() {
    let run = run(
        &eval_dir(),
        &["eval", "-e", " | ", "--target", "15", "nested.conf"],
    );
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn nested_block_target_13() {
    let run = run(
        &eval_dir(),
        &["eval", "-e", " | ", "--target", "13", "nested.conf"],
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.render());
}

#[test]
fn numeric_name_target_15() {
    let run = run(
        &eval_dir(),
        &["eval", "-e", " | ", "--target", "15", "numeric.conf"],
    );
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn numeric_name_target_13() {
    let run = run(
        &eval_dir(),
        &["eval", "-e", " | ", "--target", "13", "numeric.conf"],
    );
    assert_eq!(run.code, Some(0));
    insta::assert_snapshot!(run.render());
}

#[test]
fn unknown_target_is_a_usage_error() {
    let run = run(&eval_dir(), &["eval", "--target", "12", "nested.conf"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.render());
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

#[test]
fn missing_file() {
    // jail(8): `jail: FILE: No such file or directory`, exit 1.
    let run = run(&eval_dir(), &["eval", "-e", " | ", "no-such-file.conf"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.render());
}

#[test]
fn syntax_error() {
    let run = run(&eval_dir(), &["eval", "-e", " | ", "syntax-error.conf"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty(), "jail(8) prints nothing");
    let stderr = run.stderr();
    assert!(stderr.contains("error[syntax-error]"));
    assert!(stderr.contains("syntax-error.conf:4:9"));
    assert!(stderr.contains("help: "));
    assert!(stderr.contains("jail(8) says: jail: syntax-error.conf line 5: }: syntax error"));
    insta::assert_snapshot!(run.render());
}

#[test]
fn syntax_error_human_output_is_empty_too() {
    let run = run(&eval_dir(), &["eval", "syntax-error.conf"]);
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.is_empty());
}

#[test]
fn undefined_variable() {
    let run = run(
        &eval_dir(),
        &["eval", "-e", " | ", "undefined-variable.conf"],
    );
    assert_eq!(
        run.code,
        Some(0),
        "variable errors do not change the status"
    );
    assert!(!run.stdout.is_empty(), "both jails are printed");
    assert!(run.stderr().contains("error[undefined-variable]"));
    insta::assert_snapshot!(run.render());
}

// ---------------------------------------------------------------------------
// The spec's examples, through the binary
// ---------------------------------------------------------------------------

/// The `exit status:` and `--- stdout (exact) ---` sections of an
/// `.expected` file.
fn parse_expected(text: &str) -> (i32, String) {
    let status = text
        .lines()
        .find_map(|l| l.strip_prefix("exit status:"))
        .expect("an `exit status:` line")
        .trim();
    let code = if status.starts_with("non-zero") {
        1
    } else {
        status.parse().expect("a numeric exit status")
    };
    let marker = "--- stdout (exact) ---\n";
    let start = text.find(marker).expect("a stdout section") + marker.len();
    let end = start
        + text[start..]
            .find("\n--- ")
            .expect("a section after stdout")
        + 1;
    let stdout = &text[start..end];
    let stdout = if stdout == "(empty)\n" { "" } else { stdout };
    (code, stdout.to_string())
}

#[test]
fn parse_expected_sections() {
    let (code, stdout) = parse_expected(
        "x\nexit status: non-zero (normally 1)\n--- stdout (exact) ---\n(empty)\n--- stderr (exact) ---\njail: x\n",
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
    let (code, stdout) = parse_expected(
        "exit status: 0\n--- stdout (exact) ---\na|b\nc\n--- stderr (exact) ---\n(empty)\n",
    );
    assert_eq!((code, stdout.as_str()), (0, "a|b\nc\n"));
}

#[test]
fn spec_examples_through_the_binary() {
    let dir = repo().join("../shared/spec/examples");
    assert!(
        dir.is_dir(),
        "the shared spec must be beside the repository: {} is missing",
        dir.display()
    );
    let mut inputs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".conf"))
        .collect();
    inputs.sort();
    assert_eq!(inputs.len(), 20);
    let mut failures = Vec::new();
    for name in &inputs {
        let expected = std::fs::read_to_string(dir.join(name.replace(".conf", ".expected")))
            .expect("read .expected");
        let (code, stdout) = parse_expected(&expected);
        let run = run(&dir, &["eval", "-e", "|", name]);
        if run.code != Some(code) || run.stdout != stdout.as_bytes() {
            failures.push(format!(
                "{name}: expected exit {code}, got {:?}\n--- expected stdout\n{stdout}--- got stdout\n{}--- stderr\n{}",
                run.code,
                run.stdout(),
                run.stderr()
            ));
        }
        if code != 0 {
            assert!(
                run.stderr().contains("jail(8) says: jail: "),
                "{name}: an error names jail(8)'s message"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The lines of the `--- stderr (exact) ---` section jail(8) guarantees.
fn expected_stderr_lines(text: &str) -> Vec<String> {
    let marker = "--- stderr (exact) ---\n";
    let start = text.find(marker).expect("a stderr section") + marker.len();
    let end = text[start..]
        .find("--- notes ---")
        .map_or(text.len(), |i| start + i);
    text[start..end]
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('('))
        .map(str::to_string)
        .collect()
}

/// jail(8)'s messages as our diagnostics quote them, in order.
fn quoted_jail_messages(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("= jail(8) says: ").map(|(_, m)| m.to_string()))
        .collect()
}

#[test]
fn spec_examples_quote_jail_messages() {
    // Every message jail(8) prints is quoted by a diagnostic, in the same
    // order; after a syntax error only the first line is guaranteed.
    let dir = repo().join("../shared/spec/examples");
    let mut inputs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".conf"))
        .collect();
    inputs.sort();
    let mut failures = Vec::new();
    for name in &inputs {
        let expected = std::fs::read_to_string(dir.join(name.replace(".conf", ".expected")))
            .expect("read .expected");
        let (code, _) = parse_expected(&expected);
        let want = expected_stderr_lines(&expected);
        let run = run(&dir, &["eval", "-e", "|", name]);
        let mut got = quoted_jail_messages(&run.stderr());
        if code != 0 {
            got.truncate(1);
        }
        if got != want {
            failures.push(format!("{name}:\n  expected {want:?}\n  got      {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
