//! The whole third-party corpus lints without a panic, and the findings on
//! the real-world files are snapshotted: each one was reviewed, and a
//! finding that is wrong on a real file is a bug to fix, not to snapshot.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::{Config, DiskLoader, MainFile, Target};

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "the shared corpus must be beside the repository: {}",
        dir.display()
    );
    dir
}

fn files(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && keep(p))
        .collect();
    files.sort();
    files
}

fn lint_file(path: &Path, target: Target) -> (Config, Vec<jailconf_parser::diag::Diagnostic>) {
    let text = std::fs::read(path).unwrap();
    let mut main = MainFile::from_path(path, text);
    main.name = path.file_name().unwrap().to_string_lossy().into_owned();
    let config = Config::load(main, &DiskLoader, target);
    // Every rule, opt-in ones included.
    let every_rule = LintOptions {
        select: Some(vec!["ALL".to_string()]),
        ..LintOptions::default()
    };
    let findings = lint(&config, &HostFacts::default(), &every_rule);
    (config, findings)
}

#[test]
fn real_world_findings() {
    let mut report = String::new();
    for path in files(&corpus().join("real"), |_| true) {
        let (config, findings) = lint_file(&path, Target::V15);
        if findings.is_empty() {
            continue;
        }
        writeln!(report, "{}", path.file_name().unwrap().to_string_lossy()).unwrap();
        for finding in findings {
            let span = &finding.primary.span;
            let at = config.sources.line_col(span);
            writeln!(
                report,
                "  {}:{}: {:?} {} {}",
                at.line, at.column, finding.severity, finding.code, finding.message
            )
            .unwrap();
        }
    }
    insta::assert_snapshot!(report);
}

#[test]
fn every_corpus_file_lints_on_every_target() {
    let generated = corpus().join("generated");
    let mut count = 0;
    for dir in [
        corpus().join("real"),
        generated.clone(),
        corpus().join("freebsd-tests"),
    ] {
        for path in files(&dir, |p| {
            p.extension()
                .is_none_or(|e| e != "out" && e != "err" && e != "rc" && e != "md")
        }) {
            for target in Target::ALL {
                let _ = lint_file(&path, target);
            }
            count += 1;
        }
    }
    assert!(count > 470, "only {count} corpus files found");
}
