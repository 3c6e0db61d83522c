//! Snapshots of every diagnostic the parser and the model report for the
//! inputs in `fixtures/parse/err`, and of the evaluated result of the valid
//! inputs in `fixtures/parse/ok`.
//!
//! Each fixture is loaded with [`Config::load`] and the [`DiskLoader`], so
//! `.include`s are resolved for real. A first line `# target: 13` (or 14)
//! selects the FreeBSD release; the default is 15. Paths are rendered
//! relative to the fixture's directory, so the snapshots do not depend on
//! where the repository is checked out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use jailconf_parser::diag::{Diagnostic, Label};
use jailconf_parser::source::Sources;
use jailconf_parser::{dump, parse, Config, DiskLoader, MainFile, Target};

/// The target named by a `# target: N` first line, else 15.
fn fixture_target(text: &[u8]) -> Target {
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    match first.trim_end().strip_prefix("# target:") {
        Some(release) => release.trim().parse().expect("a valid `# target:` line"),
        None => Target::default(),
    }
}

/// Loads a fixture by its absolute path.
fn load(path: &Path) -> Config {
    let text = std::fs::read(path).expect("read fixture");
    let target = fixture_target(&text);
    Config::load(MainFile::from_path(path, text), &DiskLoader, target)
}

/// `"{dir}/"`, to be cut out of everything rendered.
fn dir_prefix(path: &Path) -> String {
    format!("{}/", path.parent().expect("fixture dir").display())
}

/// Text with control characters escaped (`\r`, `\n`, `\u{c}`), the rest
/// as is.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A short excerpt of the source under a span, in backticks.
fn excerpt(sources: &Sources, label: &Label) -> String {
    let text = sources.get(label.span.file).text();
    let bytes = &text[label.span.range.start as usize..label.span.range.end as usize];
    if bytes.is_empty() {
        return "(empty)".to_string();
    }
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(48)]);
    let more = if bytes.len() > 48 { "…" } else { "" };
    format!("`{}{more}`", visible(&shown))
}

fn render_label(out: &mut String, sources: &Sources, kind: &str, label: &Label) {
    let file = sources.get(label.span.file);
    let start = file.lines.line_col(label.span.range.start);
    let end = file.lines.line_col(label.span.range.end);
    let _ = write!(
        out,
        "  {kind}: {}:{}:{}-{}:{} {}",
        file.name,
        start.line,
        start.column,
        end.line,
        end.column,
        excerpt(sources, label)
    );
    if !label.message.is_empty() {
        let _ = write!(out, " — {}", label.message);
    }
    out.push('\n');
}

/// A plain-text rendering of diagnostics: every field that matters.
fn render_diagnostics(sources: &Sources, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let severity = match d.severity {
            jailconf_parser::diag::Severity::Error => "error",
            jailconf_parser::diag::Severity::Warning => "warning",
            jailconf_parser::diag::Severity::Info => "info",
        };
        let _ = writeln!(out, "{severity}[{}]: {}", d.code, d.message);
        render_label(&mut out, sources, "primary", &d.primary);
        for label in &d.secondary {
            render_label(&mut out, sources, "secondary", label);
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  help: {help}");
        }
        if let Some(message) = &d.jail_message {
            // Control characters (a CR, a form feed) are shown escaped.
            let _ = writeln!(out, "  jail(8): {}", visible(message));
        }
    }
    out
}

/// The files read, in order.
fn render_files(config: &Config) -> String {
    config
        .sources
        .iter()
        .map(|(id, f)| format!("  {}: {}\n", id.0, f.name))
        .collect()
}

/// Every file's tokens together give back its bytes.
fn assert_lossless(config: &Config) {
    for (_, file) in config.sources.iter() {
        let tree = &file.parse.tree;
        let mut rebuilt = Vec::new();
        let mut offset = 0;
        for token in tree.tokens() {
            assert_eq!(token.start, offset, "{}: gap before a token", file.name);
            rebuilt.extend_from_slice(&tree.text()[token.range()]);
            offset = token.end;
        }
        assert_eq!(rebuilt, tree.text(), "{}: tokens lose bytes", file.name);
        assert_eq!(tree.node_text(tree.root()), tree.text(), "{}", file.name);
    }
}

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/parse")
        .join(kind)
}

#[test]
fn err_fixtures() {
    insta::glob!("../../fixtures/parse/err", "*.conf", |path| {
        let config = load(path);
        assert_lossless(&config);
        assert!(
            !config.diagnostics.is_empty(),
            "{}: an err/ fixture must produce a diagnostic",
            path.display()
        );
        let mut out = format!(
            "target: {}\nfatal: {}\nfiles:\n{}\n",
            config.target,
            config.fatal,
            render_files(&config)
        );
        out.push_str(&render_diagnostics(&config.sources, &config.diagnostics));
        if !config.fatal {
            let _ = write!(
                out,
                "\n--- jail -e ' | ' ---\n{}",
                String::from_utf8_lossy(&dump::jail_e(&config, b" | "))
            );
        }
        let out = out.replace(&dir_prefix(path), "");
        insta::assert_snapshot!(out);
    });
}

#[test]
fn ok_fixtures() {
    insta::glob!("../../fixtures/parse/ok", "*.conf", |path| {
        let config = load(path);
        assert_lossless(&config);
        let rendered =
            render_diagnostics(&config.sources, &config.diagnostics).replace(&dir_prefix(path), "");
        assert!(
            config.diagnostics.is_empty() && !config.fatal,
            "{}: an ok/ fixture must be clean:\n{rendered}",
            path.display()
        );
        let out = format!(
            "target: {}\nfiles:\n{}\n--- jail -e ' | ' ---\n{}",
            config.target,
            render_files(&config),
            String::from_utf8_lossy(&dump::jail_e(&config, b" | "))
        );
        insta::assert_snapshot!(out.replace(&dir_prefix(path), ""));
    });
}

#[test]
fn dollar_in_quoted_block_name_hint() {
    let config = load(&fixtures("err").join("dollar-in-quoted-name.conf"));
    assert_eq!(config.diagnostics.len(), 1);
    let help = config.diagnostics[0].help.as_deref().unwrap_or_default();
    assert!(!help.contains("quote the whole name"), "{help}");
    assert!(
        help.contains('$'),
        "the hint should explain the `$`: {help}"
    );
}

#[test]
fn missing_semicolon_between_lines_is_one_error() {
    let config = load(&fixtures("err").join("missing-semi-between-lines.conf"));
    let rendered = render_diagnostics(&config.sources, &config.diagnostics);
    assert_eq!(config.diagnostics.len(), 1, "{rendered}");
}

#[test]
fn unterminated_comment_line_on_13() {
    let text = b"web {\n}\n/* never closed\nx;\n".to_vec();
    let config = Config::load(
        MainFile::from_path("t.conf", text),
        &DiskLoader,
        Target::V13,
    );
    let message = config.diagnostics[0].jail_message.as_deref();
    assert_eq!(message, Some("t.conf line 3: unterminated comment"));
}

#[test]
fn unterminated_comment_line_on_15() {
    // The newer scanner reports the line counter after the whole comment.
    let text = b"web {\n}\n/* never closed\nx;\n".to_vec();
    let config = Config::load(
        MainFile::from_path("t.conf", text),
        &DiskLoader,
        Target::V15,
    );
    let message = config.diagnostics[0].jail_message.as_deref();
    assert_eq!(message, Some("t.conf line 5: unterminated comment"));
}

/// The lossless tree's shape for a few small files.
#[test]
fn tree_shapes() {
    for name in ["minimal.conf", "crlf.conf", "concatenation.conf"] {
        let path = fixtures("ok").join(name);
        let text = std::fs::read(&path).expect("read fixture");
        let parsed = parse(&text, fixture_target(&text));
        assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        insta::assert_snapshot!(
            format!("tree_{}", name.trim_end_matches(".conf").replace('-', "_")),
            parsed.tree.debug_dump()
        );
    }
}

/// The tree of a broken file keeps every byte, the misplaced ones in
/// `Error` nodes.
#[test]
fn tree_shape_with_errors() {
    let path = fixtures("err").join("equals-in-unquoted-value.conf");
    let text = std::fs::read(&path).expect("read fixture");
    let parsed = parse(&text, Target::V15);
    assert!(!parsed.errors.is_empty());
    insta::assert_snapshot!(parsed.tree.debug_dump());
}

#[test]
fn target_line_convention() {
    assert_eq!(fixture_target(b"# target: 13\r\nx;"), Target::V13);
    assert_eq!(fixture_target(b"# target: 14\n"), Target::V14);
    assert_eq!(fixture_target(b"# something else\n"), Target::V15);
    assert_eq!(fixture_target(b""), Target::V15);
}
