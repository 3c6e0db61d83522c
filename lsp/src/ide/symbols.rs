//! Document symbols (jails with their parameters, nested) and workspace
//! symbols (jails of every analysed configuration).

use std::ops::Range;

use jailconf_parser::lexer::piece_value;
use jailconf_parser::model::is_wildcard_name;
use jailconf_parser::source::FileId;
use jailconf_parser::syntax::{NodeId, NodeKind, SyntaxTree};

use crate::analysis::Analysis;
use crate::index::RecordKind;

/// What a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A jail block.
    Jail,
    /// A wildcard block.
    Wildcard,
    /// A parameter statement.
    Parameter,
    /// A variable definition.
    Variable,
    /// An `.include`.
    Include,
}

/// A symbol with its children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Its name.
    pub name: String,
    /// Its values, for statements.
    pub detail: Option<String>,
    /// What it is.
    pub kind: Kind,
    /// The file.
    pub file: FileId,
    /// The whole block or statement.
    pub full_range: Range<u32>,
    /// Its name.
    pub name_range: Range<u32>,
    /// Statements and blocks inside a block.
    pub children: Vec<Symbol>,
}

/// The symbols of `file`, nested as its blocks are.
pub fn document_symbols(analysis: &Analysis, file: FileId) -> Vec<Symbol> {
    let tree = &analysis.config.sources.get(file).parse.tree;
    children(tree, file, tree.root(), &[])
}

fn children(tree: &SyntaxTree, file: FileId, node: NodeId, parent: &[u8]) -> Vec<Symbol> {
    let mut out = Vec::new();
    for child in tree.child_nodes(node) {
        let range = tree.byte_range(child);
        let full_range = range.start as u32..range.end as u32;
        match tree.kind(child) {
            NodeKind::JailBlock => {
                let Some(name_node) = tree.child_node(child, NodeKind::JailName) else {
                    continue;
                };
                let token = tree.token_range(name_node).start;
                let Some(piece) = tree.tokens().get(token).filter(|t| t.kind.is_piece()) else {
                    continue;
                };
                let own = piece_value(piece.kind, tree.token_text(token as u32));
                let mut full = parent.to_vec();
                if !full.is_empty() {
                    full.push(b'.');
                }
                full.extend_from_slice(&own);
                out.push(Symbol {
                    name: String::from_utf8_lossy(&own).into_owned(),
                    detail: (!parent.is_empty())
                        .then(|| String::from_utf8_lossy(&full).into_owned()),
                    kind: if is_wildcard_name(&full) {
                        Kind::Wildcard
                    } else {
                        Kind::Jail
                    },
                    file,
                    full_range,
                    name_range: piece.start..piece.end,
                    children: children(tree, file, child, &full),
                });
            }
            kind @ (NodeKind::Statement | NodeKind::Include) => {
                let Some(name_node) = tree.child_node(child, NodeKind::ParamName) else {
                    continue;
                };
                let token = tree.token_range(name_node).start;
                let Some(piece) = tree.tokens().get(token).filter(|t| t.kind.is_piece()) else {
                    continue;
                };
                let name = String::from_utf8_lossy(tree.token_text(token as u32)).into_owned();
                let detail = tree.child_node(child, NodeKind::ValueList).map(|list| {
                    let text = String::from_utf8_lossy(tree.node_text(list));
                    super::ellipsize(&text.split_whitespace().collect::<Vec<_>>().join(" "), 60)
                });
                out.push(Symbol {
                    name,
                    detail,
                    kind: if kind == NodeKind::Include {
                        Kind::Include
                    } else if piece.kind.is_variable() {
                        Kind::Variable
                    } else {
                        Kind::Parameter
                    },
                    file,
                    full_range,
                    name_range: piece.start..piece.end,
                    children: Vec::new(),
                });
            }
            _ => {}
        }
    }
    out
}

/// Whether `query`'s characters appear in `name` in order (ignoring
/// case); an empty query matches everything.
fn fuzzy_match(name: &str, query: &str) -> bool {
    let mut chars = name.chars().flat_map(char::to_lowercase);
    query
        .chars()
        .flat_map(char::to_lowercase)
        .all(|q| chars.any(|c| c == q))
}

/// Jail and wildcard blocks of an analysis whose names match `query`
/// (at most `limit`).
pub fn workspace_symbols(analysis: &Analysis, query: &str, limit: usize) -> Vec<Symbol> {
    let index = &analysis.index();
    index
        .records
        .iter()
        .filter(|r| r.kind != RecordKind::Global)
        .filter_map(|record| {
            let span = record.name_span.as_ref()?;
            let name = record.name_str();
            if !fuzzy_match(&name, query) {
                return None;
            }
            Some(Symbol {
                name,
                detail: None,
                kind: if record.kind == RecordKind::Wildcard {
                    Kind::Wildcard
                } else {
                    Kind::Jail
                },
                file: span.file,
                full_range: span.range.clone(),
                name_range: span.range.clone(),
                children: Vec::new(),
            })
        })
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn fuzzy() {
        assert!(super::fuzzy_match("vnet123", "v13"));
        assert!(super::fuzzy_match("Web", "we"));
        assert!(!super::fuzzy_match("web", "bw"));
        assert!(super::fuzzy_match("web", ""));
    }
}
