//! Semantic tokens: parameters, variables, strings, comments, jail
//! names, operators.

use std::ops::Range;

use jailconf_parser::lexer::TokenKind;
use jailconf_parser::source::FileId;
use jailconf_parser::syntax::NodeKind;

use crate::analysis::Analysis;

/// Token types; the legend lists them in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum TokenType {
    /// A parameter name. The protocol's `parameter` means a function
    /// parameter, so jail parameters are `property`.
    Parameter,
    /// A variable definition or reference.
    Variable,
    /// A quoted string.
    String,
    /// A comment.
    Comment,
    /// A jail block's name.
    JailName,
    /// `=` and `+=`.
    Operator,
    /// `.include`.
    Keyword,
    /// An unquoted number.
    Number,
}

impl TokenType {
    /// Every type, in legend order.
    pub const ALL: [TokenType; 8] = [
        TokenType::Parameter,
        TokenType::Variable,
        TokenType::String,
        TokenType::Comment,
        TokenType::JailName,
        TokenType::Operator,
        TokenType::Keyword,
        TokenType::Number,
    ];

    /// The standard protocol name themes know.
    pub fn name(self) -> &'static str {
        match self {
            TokenType::Parameter => "property",
            TokenType::Variable => "variable",
            TokenType::String => "string",
            TokenType::Comment => "comment",
            TokenType::JailName => "namespace",
            TokenType::Operator => "operator",
            TokenType::Keyword => "keyword",
            TokenType::Number => "number",
        }
    }
}

/// Modifiers; bit `n` is `MODIFIERS[n]`.
pub const MODIFIERS: [&str; 1] = ["declaration"];

/// The `declaration` modifier bit.
pub const DECLARATION: u32 = 1;

/// One classified range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Bytes.
    pub range: Range<u32>,
    /// Type.
    pub kind: TokenType,
    /// Modifier bits.
    pub modifiers: u32,
}

const NONE: u8 = 0;
const JAIL_NAME: u8 = 1;
const PARAM_NAME: u8 = 2;
const INCLUDE_NAME: u8 = 3;

/// The tokens of `file` that overlap `range` (all with `None`), in order.
pub fn tokens(analysis: &Analysis, file: FileId, range: Option<Range<u32>>) -> Vec<Token> {
    let tree = &analysis.config.sources.get(file).parse.tree;
    let lexed = tree.tokens();
    let text = analysis.text(file);
    let (first, last) = match &range {
        Some(r) => (
            lexed.partition_point(|t| t.end <= r.start),
            lexed.partition_point(|t| t.start < r.end),
        ),
        None => (0, lexed.len()),
    };
    // Roles of name tokens from the tree.
    let mut role = vec![NONE; last.saturating_sub(first)];
    for node in tree.descendants(tree.root()) {
        let tag = match tree.kind(node) {
            NodeKind::JailName => JAIL_NAME,
            NodeKind::ParamName => {
                if tree.node_text(node) == b".include" {
                    INCLUDE_NAME
                } else {
                    PARAM_NAME
                }
            }
            _ => continue,
        };
        for t in tree.token_range(node) {
            if t >= first && t < last {
                role[t - first] = tag;
            }
        }
    }
    let mut out = Vec::new();
    for (i, token) in lexed.range(first..last).enumerate() {
        let role = role[i];
        let (kind, modifiers) = match token.kind {
            k if k.is_comment() => (TokenType::Comment, 0),
            TokenKind::Eq | TokenKind::PlusEq => (TokenType::Operator, 0),
            TokenKind::VarSimple | TokenKind::VarBraced => {
                let declaration = if role == PARAM_NAME { DECLARATION } else { 0 };
                (TokenType::Variable, declaration)
            }
            _ if role == JAIL_NAME && token.kind.is_piece() => (TokenType::JailName, DECLARATION),
            _ if role == PARAM_NAME && token.kind.is_piece() => (TokenType::Parameter, 0),
            _ if role == INCLUDE_NAME => (TokenType::Keyword, 0),
            kind if kind.is_quoted() || kind == TokenKind::UnterminatedString => {
                (TokenType::String, 0)
            }
            TokenKind::Bare if text[token.range()].iter().all(u8::is_ascii_digit) => {
                (TokenType::Number, 0)
            }
            _ => continue,
        };
        out.push(Token {
            range: token.start..token.end,
            kind,
            modifiers,
        });
    }
    out
}
