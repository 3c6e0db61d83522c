//! The whole third-party corpus lints without a panic, and the findings on
//! the real-world files are snapshotted: each one was reviewed, and a
//! finding that is wrong on a real file is a bug to fix, not to snapshot.
//! Damaged copies of the real-world files lint without a panic too, with
//! every finding inside its file.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jailconf_lint::{lint, HostFacts, LintOptions};
use jailconf_parser::diag::Diagnostic;
use jailconf_parser::source::Span;
use jailconf_parser::{Config, DiskLoader, MainFile, NoFiles, Target};
use proptest::prelude::*;

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

/// The real-world files, read once.
fn real_files() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let files = files(&corpus().join("real"), |_| true);
        files.iter().map(|p| std::fs::read(p).unwrap()).collect()
    })
}

/// Text that rules look into: addresses, interfaces, commands, fstab
/// lines, numbers out of range, quoting and characters that are not ASCII.
#[rustfmt::skip]
const SNIPPETS: &[&str] = &[
    "\"", "'", "$", "${", "}", "{", ";", "=", "+=", ",", "\n", "\\", " ", "#", "/*", "no",
    " epair0", "bridge0", " addm ", " create", " destroy", " inet ", " inet6 ", " vnet ",
    "jib addm ", "route add default ", "10.0.0.1/24", "fe80::1%epair0b/64", "/33", "/129",
    "em0|", "lo0|10.1.1.1", "devfs /j/dev devfs rw,ruleset=", "nullfs", " rw 0 0",
    "99999999999999999999", "-1", "0x10", "exec.prestart", "exec.poststop", "vnet.interface",
    "ip4.addr", "ip6.addr", "interface", "path", "devfs_ruleset", "enforce_statfs",
    "allow.mount.zfs", "depend", "host.hostname", "mount.fstab", "é", "\u{202e}", "\u{0}",
    "\r\n", "\t", "&&", "|", "$(", "`", ">", "&", "sh -c '", "env X=1 ", "inherit",
    "# jailconf: ignore[JC034]", "# jailconf: ignore[",
];

/// One change to a file: where (as a fraction of its length), what, and
/// with which snippet.
fn edit() -> impl Strategy<Value = (f64, u8, usize)> {
    (0.0..=1.0f64, 0u8..5, 0..SNIPPETS.len())
}

/// `text` with `edits` applied: snippets inserted (anywhere, or at the
/// start of a quoted value, where most rules look), bytes removed or
/// replaced, the file cut short.
fn damaged(text: &[u8], edits: &[(f64, u8, usize)]) -> Vec<u8> {
    let mut text = text.to_vec();
    for &(at, kind, snippet) in edits {
        let at = ((text.len() as f64) * at) as usize;
        match kind {
            0 => drop(text.splice(at..at, SNIPPETS[snippet].bytes())),
            1 => {
                let quote = text[at..]
                    .iter()
                    .position(|&b| b == b'"')
                    .map(|q| at + q + 1);
                let at = quote.unwrap_or(at);
                drop(text.splice(at..at, [SNIPPETS[snippet], " "].concat().bytes()));
            }
            2 => drop(text.drain(at..(at + snippet % 9).min(text.len()))),
            3 if at < text.len() => text[at] = SNIPPETS[snippet].as_bytes()[0],
            _ => text.truncate(at.max(text.len() * 9 / 10)),
        }
    }
    text
}

/// Whether `span` lies in its file.
fn in_file(config: &Config, span: &Span) -> bool {
    span.range.start <= span.range.end
        && span.range.end as usize <= config.sources.get(span.file).text().len()
}

/// Every place `finding` names lies in its file.
fn places_are_in_files(config: &Config, finding: &Diagnostic) -> bool {
    let labels = std::iter::once(&finding.primary).chain(&finding.secondary);
    let edits = finding.fix.iter().flat_map(|fix| &fix.edits);
    labels
        .map(|label| &label.span)
        .all(|span| in_file(config, span))
        && edits
            .map(|edit| &edit.span)
            .all(|span| in_file(config, span))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn damaged_real_files_lint_without_a_panic(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..10),
        target in prop::sample::select(&Target::ALL[..]),
    ) {
        let files = real_files();
        let text = damaged(&files[file.index(files.len())], &edits);
        let config = Config::load(MainFile::from_path("jail.conf", text), &NoFiles, target);
        let every_rule = LintOptions {
            select: Some(vec!["ALL".to_string()]),
            ..LintOptions::default()
        };
        for finding in lint(&config, &HostFacts::default(), &every_rule) {
            prop_assert!(places_are_in_files(&config, &finding), "{finding:?}");
        }
    }
}
