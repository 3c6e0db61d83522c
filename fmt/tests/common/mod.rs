//! Helpers shared by the formatter's integration tests: the three
//! contracts (idempotent, meaning-preserving, comment-preserving) and the
//! output parsing without errors.

#![allow(dead_code)] // each test file uses a different part

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use jailconf_fmt::{format, FormatOptions};
use jailconf_parser::lexer::TokenKind;
use jailconf_parser::{dump, parse, Config, DiskLoader, FileLoader, MainFile, Target};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shared corpus beside the repository.
pub fn corpus() -> PathBuf {
    let dir = repo().join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "the shared corpus must be beside the repository: {} is missing",
        dir.display()
    );
    dir
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Whether `text` parses without errors for `target`.
pub fn parses_cleanly(text: &[u8], target: Target) -> bool {
    parse(text, target).errors.is_empty()
}

/// Comment texts, sorted; `#`/`//` comments without trailing blanks (the
/// formatter removes trailing whitespace).
pub fn comments(text: &[u8], target: Target) -> Vec<Vec<u8>> {
    let parsed = parse(text, target);
    let mut out: Vec<Vec<u8>> = parsed
        .tree
        .tokens()
        .iter()
        .filter(|t| t.kind.is_comment())
        .map(|t| {
            let text = &parsed.tree.text()[t.range()];
            if matches!(t.kind, TokenKind::HashComment | TokenKind::SlashComment) {
                let end = text
                    .iter()
                    .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r'))
                    .map_or(0, |i| i + 1);
                text[..end].to_vec()
            } else {
                text.to_vec()
            }
        })
        .collect();
    out.sort();
    out
}

/// Serves some files from memory, the rest from the disk.
pub struct MemLoader {
    pub files: HashMap<PathBuf, Vec<u8>>,
}

impl FileLoader for MemLoader {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(path) {
            Some(text) => Ok(text.clone()),
            None => std::fs::read(path),
        }
    }
}

/// What must not change: `jail -e` output, whether jail(8) would refuse
/// the configuration, which jails fail, and the diagnostics.
pub fn meaning(config: &Config) -> String {
    let mut out = String::from_utf8_lossy(&dump::jail_e(config, b" | ")).into_owned();
    out.push_str(&format!("fatal={}\n", config.fatal));
    for jail in &config.jails {
        out.push_str(&format!("{} failed={}\n", jail.name_str(), jail.failed));
    }
    for d in &config.diagnostics {
        out.push_str(&format!("{} {:?} {}\n", d.code, d.severity, d.message));
    }
    out
}

/// Layout rules every output follows (outside multi-line strings and
/// comments, which are verbatim): no trailing whitespace, one line ending
/// style, a final newline, no blank line first and never two in a row.
pub fn check_style(out: &[u8], target: Target) -> Result<(), String> {
    if out.is_empty() {
        return Ok(());
    }
    if !out.ends_with(b"\n") {
        return Err("no final newline".to_string());
    }
    let crlf = jailconf_fmt::LineEnding::detect(out) == jailconf_fmt::LineEnding::CrLf;
    let tokens = jailconf_parser::lexer::lex(out, target);
    let text = |i: usize| &out[tokens.at(i).range()];
    // Lines seen since the last one with content, and whether the current
    // line has content.
    let mut empty_lines = 0;
    let mut content = false;
    let mut seen_content = false;
    for (i, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::Newline => {
                let before = i.checked_sub(1).map(|p| (tokens.at(p).kind, text(p)));
                let cr_ok = crlf
                    && before.is_some_and(|(kind, t)| {
                        t.ends_with(b"\r") && (kind != TokenKind::Whitespace || t == b"\r")
                    });
                if !cr_ok && crlf {
                    return Err(format!(
                        "LF without CR in CRLF output at byte {}",
                        token.start
                    ));
                }
                match before {
                    Some((TokenKind::Whitespace, t)) if !(crlf && t == b"\r") => {
                        return Err(format!("trailing whitespace at byte {}", token.start))
                    }
                    Some((TokenKind::HashComment | TokenKind::SlashComment, t)) => {
                        let t = if crlf { &t[..t.len() - 1] } else { t };
                        if t.ends_with(b" ") || t.ends_with(b"\t") || t.ends_with(b"\r") {
                            return Err(format!(
                                "comment with trailing whitespace at byte {}",
                                token.start
                            ));
                        }
                    }
                    _ => {}
                }
                if !content {
                    empty_lines += 1;
                    if !seen_content {
                        return Err("blank line at the start".to_string());
                    }
                    if empty_lines > 1 {
                        return Err(format!("two blank lines in a row at byte {}", token.start));
                    }
                } else {
                    empty_lines = 0;
                }
                content = false;
            }
            TokenKind::Whitespace => {}
            _ => {
                content = true;
                seen_content = true;
            }
        }
    }
    Ok(())
}

/// Checks idempotence, a clean parse of the output and the preservation
/// of comments for one text; returns the formatted text.
pub fn check_text(text: &[u8], options: &FormatOptions, target: Target) -> Result<Vec<u8>, String> {
    let once = format(text, options, target).map_err(|e| format!("format failed: {e}"))?;
    let errors = parse(&once, target).errors;
    if !errors.is_empty() {
        return Err(format!(
            "the output has syntax errors: {errors:?}\n--- output ---\n{}",
            String::from_utf8_lossy(&once)
        ));
    }
    let twice = format(&once, options, target).map_err(|e| format!("second format failed: {e}"))?;
    if twice != once {
        return Err(format!(
            "not idempotent\n--- once ---\n{}\n--- twice ---\n{}",
            String::from_utf8_lossy(&once),
            String::from_utf8_lossy(&twice)
        ));
    }
    if let Err(message) = check_style(&once, target) {
        return Err(format!(
            "{message}\n--- output ---\n{}",
            String::from_utf8_lossy(&once)
        ));
    }
    if comments(text, target) != comments(&once, target) {
        return Err(format!(
            "comments changed\n--- output ---\n{}",
            String::from_utf8_lossy(&once)
        ));
    }
    if jailconf_fmt::is_formatted(&once, options, target) != Ok(true) {
        return Err("is_formatted is false on formatted text".to_string());
    }
    if jailconf_fmt::is_formatted(text, options, target) != Ok(once == text) {
        return Err("is_formatted disagrees with format".to_string());
    }
    Ok(once)
}

/// All contracts for a file on disk: the file is formatted, and so is
/// every file it includes (served from memory); the configuration must
/// mean the same.
pub fn check_file(path: &Path, options: &FormatOptions, target: Target) -> Result<(), String> {
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    let formatted = check_text(&text, options, target)?;
    let before = Config::load(MainFile::from_path(path, text), &DiskLoader, target);
    let mut files = HashMap::new();
    for (id, source) in before.sources.iter() {
        if id.0 == 0 || !parses_cleanly(source.text(), target) {
            continue;
        }
        let out = check_text(source.text(), options, target)
            .map_err(|e| format!("included {}: {e}", source.path.display()))?;
        files.insert(source.path.clone(), out);
    }
    let loader = MemLoader { files };
    let after = Config::load(
        MainFile::from_path(path, formatted.clone()),
        &loader,
        target,
    );
    let (a, b) = (meaning(&before), meaning(&after));
    if a != b {
        return Err(format!(
            "meaning changed\n--- before ---\n{a}\n--- after ---\n{b}\n--- output ---\n{}",
            String::from_utf8_lossy(&formatted)
        ));
    }
    Ok(())
}

/// All contracts for a text with no includes of its own (or includes
/// resolved against `base`).
pub fn check_in_memory(text: &[u8], options: &FormatOptions, target: Target) -> Result<(), String> {
    let formatted = check_text(text, options, target)?;
    let before = Config::load(MainFile::stdin(text.to_vec()), &DiskLoader, target);
    let after = Config::load(MainFile::stdin(formatted.clone()), &DiskLoader, target);
    let (a, b) = (meaning(&before), meaning(&after));
    if a != b {
        return Err(format!(
            "meaning changed\n--- before ---\n{a}\n--- after ---\n{b}\n--- input ---\n{}\n--- output ---\n{}",
            String::from_utf8_lossy(text),
            String::from_utf8_lossy(&formatted)
        ));
    }
    Ok(())
}
