//! The editor features, over an [`Analysis`]: byte offsets and spans in,
//! plain data out. Nothing here knows the protocol (`convert` maps the
//! results to `lsp-types`).

use std::ops::Range;

use jailconf_parser::source::FileId;

use crate::analysis::Analysis;
use crate::index::{name_token_inner, Piece};

pub mod actions;
pub mod completion;
pub mod diagnostics;
pub mod eval;
pub mod folding;
pub mod format;
pub mod hover;
pub mod inlay;
pub mod links;
pub mod navigation;
pub mod symbols;
pub mod tokens;

/// A replacement of a byte range of one analysed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    /// The file.
    pub file: FileId,
    /// Byte range to replace.
    pub range: Range<u32>,
    /// The new text.
    pub new_text: String,
}

/// What is under the cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Site {
    /// A `$name`/`${name}` reference (index into `Index::var_refs`).
    VarRef(usize),
    /// A statement's name: a parameter or a variable definition (index
    /// into `Index::statements`).
    StatementName(usize),
    /// A jail name (or a prefix of a dotted one) in a block name or a
    /// `depend` value.
    Jail {
        /// The full jail name meant.
        name: Vec<u8>,
        /// The bytes of the name under the cursor.
        range: Range<u32>,
    },
}

/// Finds what is at `offset` of `file` (a position just after a name
/// counts too).
pub fn site_at(analysis: &Analysis, file: FileId, offset: u32) -> Option<Site> {
    let index = &analysis.index();
    if let Some(reference) = index.var_ref_at(file, offset) {
        return Some(Site::VarRef(reference));
    }
    if let Some(statement) = index.statement_at(file, offset) {
        let st = &index.statements[statement];
        if st.name_span.range.start <= offset && offset <= st.name_span.range.end {
            return Some(Site::StatementName(statement));
        }
        if st.name == b"depend" {
            for value in &st.values {
                if value.span.range.start <= offset && offset <= value.span.range.end {
                    let [Piece::Text(text)] = value.pieces.as_slice() else {
                        return None;
                    };
                    return Some(Site::Jail {
                        name: text.clone(),
                        range: value.span.range.clone(),
                    });
                }
            }
        }
        return None;
    }
    jail_name_at(analysis, file, offset)
}

/// The jail meant by the block name at `offset`: in `a.b.c {`, the cursor
/// on `b` means jail `a.b`.
fn jail_name_at(analysis: &Analysis, file: FileId, offset: u32) -> Option<Site> {
    let index = &analysis.index();
    let tree = &analysis.config.sources.get(file).parse.tree;
    for block in &index.files.get(file.0 as usize)?.blocks {
        let record = &index.records[block.record];
        let Some(span) = &record.name_span else {
            continue;
        };
        if !(span.range.start <= offset && offset <= span.range.end) {
            continue;
        }
        let inner = name_token_inner(tree, span);
        if record.kind == crate::index::RecordKind::Wildcard {
            return Some(Site::Jail {
                name: record.name.clone(),
                range: inner,
            });
        }
        let own_text = &analysis.text(file)[inner.start as usize..inner.end as usize];
        let parent = record.parent.map(|p| index.records[p].name.clone());
        let own_len = record.name.len() - parent.as_ref().map_or(0, |p| p.len() + 1);
        if own_text.len() != own_len || !own_text.iter().all(|&b| b != b'\\') {
            // Escapes inside the name: the whole name.
            return Some(Site::Jail {
                name: record.name.clone(),
                range: span.range.clone(),
            });
        }
        let rel = offset.saturating_sub(inner.start).min(own_len as u32) as usize;
        let end = own_text[rel..]
            .iter()
            .position(|&b| b == b'.')
            .map_or(own_text.len(), |i| rel + i);
        let start = own_text[..rel]
            .iter()
            .rposition(|&b| b == b'.')
            .map_or(0, |i| i + 1);
        let mut name = parent.map(|mut p| {
            p.push(b'.');
            p
        });
        let name = match name.as_mut() {
            Some(prefix) => {
                prefix.extend_from_slice(&own_text[..end]);
                prefix.clone()
            }
            None => own_text[..end].to_vec(),
        };
        return Some(Site::Jail {
            name,
            range: inner.start + start as u32..inner.start + end as u32,
        });
    }
    None
}

/// Shortens text for a one-line display.
pub fn ellipsize(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `file:line` of a span, for hover text.
pub fn describe_location(analysis: &Analysis, span: &jailconf_parser::source::Span) -> String {
    let source = analysis.config.sources.get(span.file);
    let name = source
        .path
        .file_name()
        .map_or_else(|| source.name.clone(), |n| n.to_string_lossy().into_owned());
    format!("{name}:{}", source.lines.line_col(span.range.start).line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ellipsis() {
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("abc", 4), "abc");
    }
}
