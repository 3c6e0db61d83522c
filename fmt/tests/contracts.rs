//! The formatter's contracts on every fixture and on every corpus file
//! that parses without errors: idempotent, meaning-preserving,
//! comment-preserving, and the output parses without errors.

mod common;

use common::{check_file, corpus, files_under, parses_cleanly, repo};
use jailconf_fmt::FormatOptions;
use jailconf_parser::settings::Indent;
use jailconf_parser::Target;

/// Option sets every file is checked with.
fn option_sets() -> Vec<FormatOptions> {
    vec![
        FormatOptions::default(),
        FormatOptions {
            indent: Indent::Tab,
            align: false,
            max_width: 40,
            line_ending: None,
        },
        FormatOptions {
            indent: Indent::Spaces(2),
            align: true,
            max_width: 0,
            line_ending: None,
        },
    ]
}

fn check_all(files: &[std::path::PathBuf]) -> usize {
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in files {
        let Ok(text) = std::fs::read(path) else {
            continue;
        };
        for target in Target::ALL {
            if !parses_cleanly(&text, target) {
                continue;
            }
            checked += 1;
            for options in option_sets() {
                if let Err(message) = check_file(path, &options, target) {
                    failures.push(format!(
                        "{} (target {target}, {options:?}): {message}",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    checked
}

#[test]
fn contracts_hold_on_the_corpus() {
    let files = files_under(&corpus());
    let checked = check_all(&files);
    assert!(checked > 500, "only {checked} corpus files parse");
}

#[test]
fn contracts_hold_on_the_fixtures() {
    let mut files = Vec::new();
    for dir in ["fixtures/fmt", "fixtures/seed", "fixtures/parse"] {
        files.extend(files_under(&repo().join(dir)));
    }
    let checked = check_all(&files);
    assert!(checked > 20, "only {checked} fixtures parse");
}
