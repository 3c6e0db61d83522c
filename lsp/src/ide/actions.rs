//! Code actions: every lint fix as a quick fix (safe fixes preferred),
//! "quote this wildcard name" and "add missing `;`".

use std::ops::Range;

use jailconf_parser::diag::Diagnostic;
use jailconf_parser::source::FileId;
use jailconf_parser::syntax::NodeKind;

use super::FileEdit;
use crate::analysis::Analysis;

/// A quick fix.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// What it does.
    pub title: String,
    /// The edits (possibly in several files).
    pub edits: Vec<FileEdit>,
    /// The diagnostic it fixes.
    pub diagnostic: Option<Diagnostic>,
    /// Whether the editor may apply it without asking (safe fixes).
    pub preferred: bool,
}

fn overlaps(a: &Range<u32>, b: &Range<u32>) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The quick fixes for `range` of `file`, preferred ones first.
pub fn actions(analysis: &Analysis, file: FileId, range: Range<u32>) -> Vec<Action> {
    let mut out = Vec::new();
    let diagnostic_at = |code: &str, at: &Range<u32>| {
        analysis
            .diagnostics
            .iter()
            .find(|d| {
                d.code == code && d.primary.span.file == file && overlaps(&d.primary.span.range, at)
            })
            .cloned()
    };
    for diagnostic in &analysis.diagnostics {
        let span = &diagnostic.primary.span;
        let Some(fix) = &diagnostic.fix else {
            continue;
        };
        if span.file != file || !overlaps(&span.range, &range) {
            continue;
        }
        let mut title = fix.title.clone();
        if let Some(first) = title.get(..1) {
            title = first.to_ascii_uppercase() + &title[1..];
        }
        out.push(Action {
            title,
            edits: fix
                .edits
                .iter()
                .map(|e| FileEdit {
                    file: e.span.file,
                    range: e.span.range.clone(),
                    new_text: e.new_text.clone(),
                })
                .collect(),
            diagnostic: Some(diagnostic.clone()),
            preferred: fix.safe,
        });
    }
    let source = analysis.config.sources.get(file);
    for error in source.parse.errors.iter().filter(|e| !e.follow_on) {
        let missing_semi = error.range.is_empty()
            && error.message.starts_with("expected ")
            && error.message.contains("`;`");
        if missing_semi && overlaps(&error.range, &range) {
            out.push(Action {
                title: "Add missing `;`".to_string(),
                edits: vec![FileEdit {
                    file,
                    range: error.range.clone(),
                    new_text: ";".to_string(),
                }],
                diagnostic: diagnostic_at("JC001", &error.range),
                preferred: true,
            });
        }
    }
    let tree = &source.parse.tree;
    for node in tree.descendants(tree.root()) {
        if tree.kind(node) != NodeKind::JailName {
            continue;
        }
        let pieces: Vec<usize> = tree
            .token_range(node)
            .filter(|&t| tree.tokens().at(t).kind.is_piece())
            .collect();
        let bytes = tree.byte_range(node);
        let name_range = bytes.start as u32..bytes.end as u32;
        if pieces.len() < 2 || !overlaps(&name_range, &range) {
            continue;
        }
        let plain = pieces.iter().all(|&t| {
            matches!(
                tree.tokens().at(t).kind,
                jailconf_parser::lexer::TokenKind::Bare
                    | jailconf_parser::lexer::TokenKind::Special
            )
        });
        if !plain {
            continue;
        }
        let name = String::from_utf8_lossy(tree.node_text(node)).into_owned();
        let what = if name.contains('*') {
            "wildcard name"
        } else {
            "jail name"
        };
        out.push(Action {
            title: format!("Quote the {what}: `\"{name}\"`"),
            edits: vec![FileEdit {
                file,
                range: name_range.clone(),
                new_text: format!("\"{name}\""),
            }],
            diagnostic: diagnostic_at("JC001", &name_range),
            preferred: true,
        });
    }
    out.sort_by_key(|a| !a.preferred);
    out
}
