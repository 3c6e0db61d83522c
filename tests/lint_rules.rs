//! Every lint rule against its fixture folder `fixtures/lint/CODE/`.
//!
//! Each `NAME.conf` (or `NAME/` folder of `*.conf` files, linted as one
//! configuration) is a case, linted with only that rule enabled; a
//! `NAME.rc` beside it is the host's rc.conf, and a `NAME.live` the live
//! host's `ifconfig -a` output (it may be empty; with it, rules that check
//! the live host's file system run too). The human output is
//! snapshotted. Cases named `clean*` must produce no finding. For fixable
//! rules the fixed text is snapshotted too and must lint clean.

use std::path::{Path, PathBuf};

use codespan_reporting::term::termcolor::NoColor;
use jailconf::render::{write_diagnostics, DisplayFiles};
use jailconf_lint::facts::{LiveHost, RcFacts};
use jailconf_lint::rc_conf::RcConf;
use jailconf_lint::{fix, lint, rules, HostFacts, LintOptions, Rule};
use jailconf_parser::diag::Diagnostic;
use jailconf_parser::{Config, DiskLoader, MainFile, Target};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint")
}

/// The cases of a rule: single files and folders.
fn cases(rule: &Rule) -> Vec<PathBuf> {
    let dir = fixtures().join(rule.code);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "conf"))
        .collect();
    cases.sort();
    cases
}

fn case_name(case: &Path) -> String {
    case.file_stem().unwrap().to_string_lossy().into_owned()
}

/// Loads a case with paths relative to the fixture folder, so snapshots
/// do not depend on where the repository is.
fn load(case: &Path) -> Config {
    let dir = case.parent().unwrap();
    let mut files: Vec<PathBuf> = if case.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(case)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "conf"))
            .collect();
        files.sort();
        files
    } else {
        vec![case.to_path_buf()]
    };
    let target = target_of(&files[0]);
    let mains = files
        .drain(..)
        .map(|f| {
            let text = std::fs::read(&f).unwrap();
            let mut main = MainFile::from_path(&f, text);
            main.name = f.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            main
        })
        .collect();
    Config::load_many(mains, &DiskLoader, target)
}

/// A `# target: 13` first line picks the release.
fn target_of(file: &Path) -> Target {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# target: "))
        .map_or(Target::default(), |t| t.trim().parse().unwrap())
}

fn facts(case: &Path) -> HostFacts {
    let rc = case.with_extension("rc");
    HostFacts {
        rc_conf: rc.is_file().then(|| RcFacts {
            conf: RcConf::parse(&std::fs::read_to_string(&rc).unwrap()),
            path: PathBuf::from(rc.file_name().unwrap()),
        }),
        live: std::fs::read_to_string(case.with_extension("live"))
            .ok()
            .map(|ifconfig| LiveHost::from_ifconfig(&ifconfig)),
    }
}

/// Lints with every rule (so suppressions see the rules they name) and
/// keeps the findings of `rule`.
fn lint_only(rule: &Rule, config: &Config, facts: &HostFacts) -> Vec<Diagnostic> {
    let every_rule = LintOptions {
        select: Some(vec!["ALL".to_string()]),
        ..LintOptions::default()
    };
    let mut findings = lint(config, facts, &every_rule);
    findings.retain(|f| f.code == rule.code);
    findings
}

fn render(config: &Config, findings: &[Diagnostic]) -> String {
    let mut out = NoColor::new(Vec::new());
    write_diagnostics(&mut out, &DisplayFiles::new(&config.sources), findings);
    String::from_utf8(out.into_inner()).unwrap()
}

#[test]
fn every_rule_against_its_fixtures() {
    for rule in rules::ALL.iter().copied() {
        for case in cases(rule) {
            let name = case_name(&case);
            let config = load(&case);
            let facts = facts(&case);
            let findings = lint_only(rule, &config, &facts);
            if name.starts_with("clean") {
                assert!(
                    findings.is_empty(),
                    "{} {name}: expected no findings, got:\n{}",
                    rule.code,
                    render(&config, &findings)
                );
                continue;
            }
            assert!(
                !findings.is_empty(),
                "{} {name}: expected findings",
                rule.code
            );
            insta::with_settings!({snapshot_suffix => format!("{}-{name}", rule.code), prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!("lint", render(&config, &findings));
            });
            if rule.fixable && findings.iter().any(|f| f.fix.is_some()) {
                check_fix(rule, &case, &config, &findings);
            }
        }
    }
}

/// Applies every fix of a case, snapshots the result and re-lints it.
fn check_fix(rule: &Rule, case: &Path, config: &Config, findings: &[Diagnostic]) {
    let name = case_name(case);
    let fixed = fix::apply(|f| config.sources.get(f).text().to_vec(), findings, true);
    assert!(
        !fixed.is_empty(),
        "{} {name}: fixes changed nothing",
        rule.code
    );
    let mut shown = String::new();
    let mut mains = Vec::new();
    for (file, _) in config.sources.iter() {
        let source = config.sources.get(file);
        let text = fixed
            .get(&file)
            .cloned()
            .unwrap_or_else(|| source.text().to_vec());
        if fixed.contains_key(&file) {
            shown.push_str(&format!(
                "--- {}\n{}",
                source.name,
                String::from_utf8_lossy(&text)
            ));
        }
        if config.roots.contains(&file) {
            let mut main = MainFile::from_path(&source.path, text);
            main.name = source.name.clone();
            mains.push(main);
        }
    }
    insta::with_settings!({snapshot_suffix => format!("{}-{name}", rule.code), prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("fixed", shown);
    });
    let refixed = Config::load_many(mains, &DiskLoader, config.target);
    let again = lint_only(rule, &refixed, &facts(case));
    assert!(
        again.iter().all(|f| f.fix.is_none()),
        "{} {name}: fixed text still has fixable findings:\n{}",
        rule.code,
        render(&refixed, &again)
    );
}

#[test]
fn registry_is_complete_and_consistent() {
    let mut codes = std::collections::HashSet::new();
    let mut names = std::collections::HashSet::new();
    for rule in jailconf_lint::all_rules() {
        assert!(
            rule.code.len() == 5
                && rule.code.starts_with("JC")
                && rule.code[2..].bytes().all(|b| b.is_ascii_digit()),
            "bad code {}",
            rule.code
        );
        assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
        assert!(names.insert(rule.name), "duplicate name {}", rule.name);
        assert!(
            rule.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "name {} is not kebab-case",
            rule.name
        );
        for heading in ["## What it does", "## Why", "## Example", "## Fix"] {
            assert!(
                rule.docs.contains(heading),
                "{}: docs lack `{heading}`",
                rule.code
            );
        }
        if jailconf_lint::fleet::RULES
            .iter()
            .any(|r| r.code == rule.code)
        {
            // Fleet rules are tested on fixtures/lint/fleet (cli_lint_fleet).
            continue;
        }
        let cases = cases(rule);
        assert!(
            cases.iter().any(|c| case_name(c).starts_with("clean")),
            "{}: no clean case in fixtures/lint/{}",
            rule.code,
            rule.code
        );
        assert!(
            cases.iter().any(|c| !case_name(c).starts_with("clean")),
            "{}: no failing case in fixtures/lint/{}",
            rule.code,
            rule.code
        );
    }
    let mut sorted: Vec<&str> = rules::ALL.iter().map(|r| r.code).collect();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        rules::ALL.iter().map(|r| r.code).collect::<Vec<_>>(),
        "registry not in code order"
    );
}
