//! Folding ranges: jail blocks, runs of line comments, long block
//! comments.

use std::ops::Range;

use jailconf_parser::lexer::TokenKind;
use jailconf_parser::source::FileId;
use jailconf_parser::syntax::NodeKind;

use crate::analysis::Analysis;

/// What a fold is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A jail block's body.
    Block,
    /// Comments.
    Comment,
}

/// A foldable byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    /// From the block's name (or first comment) to its last line before
    /// the closing `}`.
    pub range: Range<u32>,
    /// What it is.
    pub kind: Kind,
}

/// The folds of `file`.
pub fn folds(analysis: &Analysis, file: FileId) -> Vec<Fold> {
    let tree = &analysis.config.sources.get(file).parse.tree;
    let tokens = tree.tokens();
    let text = analysis.text(file);
    let mut out = Vec::new();
    for node in tree.descendants(tree.root()) {
        if tree.kind(node) != NodeKind::JailBlock {
            continue;
        }
        let range = tree.token_range(node);
        let Some(close) = range
            .clone()
            .rev()
            .find(|&t| tokens.at(t).kind == TokenKind::RBrace)
        else {
            continue;
        };
        // The block's content ends at the last token before `}` that is
        // not whitespace, so the closing brace stays visible.
        let last = (range.start..close).rev().find(|&t| {
            !matches!(
                tokens.at(t).kind,
                TokenKind::Whitespace | TokenKind::Newline
            )
        });
        if let Some(last) = last {
            out.push(Fold {
                range: tokens.at(range.start).start..tokens.at(last).end,
                kind: Kind::Block,
            });
        }
    }
    // Runs of own-line line comments.
    let mut run: Option<(u32, u32, usize)> = None;
    let mut line_start = true;
    let mut lines_in_run = 0;
    for token in tokens {
        match token.kind {
            TokenKind::HashComment | TokenKind::SlashComment if line_start => {
                run = Some(match run {
                    Some((start, _, n)) => (start, token.end, n + 1),
                    None => (token.start, token.end, 1),
                });
                lines_in_run = 0;
                line_start = false;
            }
            TokenKind::Whitespace => {}
            TokenKind::Newline => {
                line_start = true;
                lines_in_run += 1;
                if lines_in_run > 1 {
                    flush(&mut run, &mut out);
                }
            }
            TokenKind::BlockComment | TokenKind::UnterminatedComment => {
                flush(&mut run, &mut out);
                if text[token.start as usize..token.end as usize].contains(&b'\n') {
                    out.push(Fold {
                        range: token.start..token.end,
                        kind: Kind::Comment,
                    });
                }
                line_start = false;
            }
            _ => {
                flush(&mut run, &mut out);
                line_start = false;
            }
        }
    }
    flush(&mut run, &mut out);
    out.sort_by_key(|f| (f.range.start, f.range.end));
    out
}

fn flush(run: &mut Option<(u32, u32, usize)>, out: &mut Vec<Fold>) {
    if let Some((start, end, count)) = run.take() {
        if count > 1 {
            out.push(Fold {
                range: start..end,
                kind: Kind::Comment,
            });
        }
    }
}
