//! Inline suppressions: `# jailconf: ignore[JC010]` (also in `//` and
//! `/* */` comments, several codes or names separated by commas).
//!
//! A comment after code on the same line suppresses findings on that line.
//! A comment on a line of its own suppresses findings in the next
//! statement or jail block (the whole block).

use crate::context::Context;
use jailconf_parser::lexer::TokenKind;
use jailconf_parser::source::{FileId, Span};
use jailconf_parser::syntax::{NodeKind, SyntaxTree};

/// One suppression comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    /// The comment.
    pub span: Span,
    /// Codes or names it names.
    pub rules: Vec<String>,
    /// The byte range it covers in its file.
    pub scope: std::ops::Range<u32>,
}

/// What starts a suppression in a comment.
const MARKER: &str = "jailconf: ignore[";

/// The comments (but unterminated ones) of `tree` that hold the
/// suppression marker, in order. The marker is looked for in the whole
/// text at once, and only where it occurs is the token found: reading each
/// comment instead would touch the text all over a large file.
pub(crate) fn marked_comments(tree: &SyntaxTree) -> Vec<u32> {
    let tokens = tree.tokens();
    let mut comments: Vec<u32> = Vec::new();
    for at in memchr::memmem::find_iter(tree.text(), MARKER) {
        let index = tokens.partition_point(|token| (token.end as usize) <= at);
        let Some(token) = tokens.get(index) else {
            continue;
        };
        let is_comment = token.kind.is_comment() && token.kind != TokenKind::UnterminatedComment;
        let holds_marker = at + MARKER.len() <= token.end as usize;
        if is_comment && holds_marker && comments.last() != Some(&(index as u32)) {
            comments.push(index as u32);
        }
    }
    comments
}

/// The rule list of a suppression comment, if it is one.
fn parse_comment(text: &str) -> Option<Vec<String>> {
    let start = text.find(MARKER)? + MARKER.len();
    let end = text[start..].find(']')? + start;
    Some(
        text[start..end]
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Every suppression in the files of the configuration.
pub fn collect(context: &Context<'_>) -> Vec<Suppression> {
    let mut out = Vec::new();
    for (file, source) in context.config.sources.iter() {
        let comments = &context.tokens_of_note(file).suppressions;
        collect_file(file, &source.parse.tree, comments, &mut out);
    }
    out
}

/// The suppressions of one file (`comments`: the positions of its
/// comments with the marker, see [`TokensOfNote`](crate::context::TokensOfNote)).
fn collect_file(file: FileId, tree: &SyntaxTree, comments: &[u32], out: &mut Vec<Suppression>) {
    let text = tree.text();
    for &index in comments {
        let index = index as usize;
        let token = tree.tokens().at(index);
        let comment = &text[token.range()];
        let Some(rules) = parse_comment(&crate::context::lossy(comment)) else {
            continue;
        };
        let line_start = text[..token.start as usize]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let own_line = text[line_start..token.start as usize]
            .iter()
            .all(|b| b.is_ascii_whitespace());
        let scope = if own_line {
            next_item_range(tree, index).unwrap_or(token.start..token.end)
        } else {
            let line_end = text[token.end as usize..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |p| token.end as usize + p);
            line_start as u32..line_end as u32
        };
        out.push(Suppression {
            span: Span::new(file, token.start..token.end),
            rules,
            scope,
        });
    }
}

/// The byte range of the first statement or block starting after token
/// `index`.
fn next_item_range(tree: &SyntaxTree, index: usize) -> Option<std::ops::Range<u32>> {
    let after = tree.tokens().at(index).end as usize;
    tree.descendants(tree.root())
        .filter(|&n| {
            matches!(
                tree.kind(n),
                NodeKind::Statement | NodeKind::JailBlock | NodeKind::Include
            )
        })
        .map(|n| tree.byte_range(n))
        .find(|r| r.start >= after)
        .map(|r| r.start as u32..r.end as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rule_lists() {
        assert_eq!(
            parse_comment("# jailconf: ignore[JC010, duplicate-ip]"),
            Some(vec!["JC010".to_string(), "duplicate-ip".to_string()])
        );
        assert_eq!(parse_comment("# nothing"), None);
    }

    #[test]
    fn suppression_markers_count_only_in_whole_comments() {
        let text = concat!(
            "# jailconf: ignore[JC001]\n",
            "a { path = \"# jailconf: ignore[JC002]\"; }\n",
            "/* jailconf: ignore[JC003] */ // jailconf: ignore[JC004] jailconf: ignore[JC005]\n",
            "b { host.hostname = x; } # jailconf: ignore[\n",
            "/* jailconf: ignore[JC006]",
        );
        let tree = jailconf_parser::parser::parse_owned(
            text.as_bytes().to_vec(),
            jailconf_parser::Target::V15,
        )
        .tree;
        let comments: Vec<String> = marked_comments(&tree)
            .into_iter()
            .map(|index| crate::context::lossy(tree.token_text(index)).into_owned())
            .collect();
        assert_eq!(
            comments,
            [
                "# jailconf: ignore[JC001]",
                "/* jailconf: ignore[JC003] */",
                "// jailconf: ignore[JC004] jailconf: ignore[JC005]",
                "# jailconf: ignore[",
            ]
        );
    }
}
