//! The findings do not depend on how many threads run the rules: every
//! rule fixture, the real-world corpus and a generated VNET host are
//! linted with one worker and with several, and the results compared.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};

use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::diag::Diagnostic;
use jailconf_parser::{Config, DiskLoader, MainFile, NoFiles, Target};

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

/// Every `.conf` file under `dir`, sorted.
fn conf_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            conf_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "conf") {
            out.push(path);
        }
    }
}

/// The findings of every rule (opt-in ones too) with `workers` threads.
fn findings(config: &Config, workers: usize) -> Vec<Diagnostic> {
    let options = LintOptions {
        select: Some(vec!["ALL".to_string()]),
        workers: NonZeroUsize::new(workers),
        ..LintOptions::default()
    };
    lint(config, &HostFacts::default(), &options)
}

fn assert_same_for_any_workers(config: &Config, what: &str) {
    let alone = findings(config, 1);
    for workers in [2, 3, 8] {
        assert!(
            findings(config, workers) == alone,
            "{what}: {workers} workers find something else than one"
        );
    }
}

#[test]
fn fixtures_and_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    conf_files(&root.join("fixtures/lint"), &mut files);
    conf_files(&root.join("../shared/corpus/real"), &mut files);
    assert!(files.len() > 100, "fixtures found: {}", files.len());
    for path in files {
        let text = std::fs::read(&path).unwrap();
        let config = Config::load(MainFile::from_path(&path, text), &DiskLoader, Target::V15);
        assert_same_for_any_workers(&config, &path.display().to_string());
    }
}

#[test]
fn generated_host() {
    let text = vnet::vnet_config(300).into_bytes();
    let config = Config::load(MainFile::from_path("big.conf", text), &NoFiles, Target::V15);
    let alone = findings(&config, 1);
    assert!(!alone.is_empty());
    assert_same_for_any_workers(&config, "generated host");
    // The default (which runs large configurations on every core) too.
    let options = LintOptions {
        select: Some(vec!["ALL".to_string()]),
        ..LintOptions::default()
    };
    assert!(lint(&config, &HostFacts::default(), &options) == alone);
}
