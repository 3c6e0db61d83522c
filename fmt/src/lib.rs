//! Comment-preserving, idempotent formatter for FreeBSD's `jail.conf(5)`.
//!
//! The formatter works on the parser's lossless syntax tree and on bytes
//! (files need not be UTF-8). It changes only the layout: whitespace,
//! line breaks, indentation and empty statements. Names, values and
//! comments are printed exactly as written, because quoting and escapes
//! change meaning, and statements never move relative to jail blocks.
//!
//! The canonical style:
//!
//! * one statement per line, indented one level (4 spaces by default) per
//!   block; `name {` on one line and `}` alone on its own;
//! * single spaces around `=` and `+=` and after `,`; within a run of
//!   consecutive assignments in a block the operators are aligned (a blank
//!   line, a block, or a statement without `=`/`+=` or with a comment in
//!   front of its operator ends the run; comment lines do not);
//! * a value list that would make a line of its statement longer than
//!   `max_width` (comments after the `;` do not count) is wrapped: the
//!   line ends after the operator and each value gets a line of its own,
//!   indented one level more; a single value never wraps;
//! * comments stay where they are: own-line comments on their own line,
//!   end-of-line comments at the end of the line, comments between tokens
//!   between the same tokens; a line comment inside a statement ends the
//!   line and the statement continues one level deeper;
//! * at most one blank line in a row, none at the start or end of a block
//!   or file, always one between two jail blocks; empty statements (`;`)
//!   are dropped;
//! * no trailing whitespace (also not at the end of `#` and `//`
//!   comments), a final newline, and the file's own line endings (decided
//!   by its first line break outside comments and strings: LF or CRLF).
//!
//! Multi-line quoted strings, `\`-newline continuations and multi-line
//! `/* */` comments are printed verbatim; widths and alignment count
//! their first line.
//!
//! ```
//! use jailconf_fmt::{format, FormatOptions};
//! use jailconf_parser::Target;
//!
//! let out = format(b"web{path=/jails/web;persist;}", &FormatOptions::default(), Target::V15)
//!     .unwrap();
//! assert_eq!(out, b"web {\n    path = /jails/web;\n    persist;\n}\n");
//! ```

mod printer;
mod range;

pub use range::minimal_edit;

use std::fmt;
use std::ops::Range;

use jailconf_parser::lexer::{TokenKind, Tokens, MAX_INPUT};
use jailconf_parser::parser::{parse, SyntaxError};
use jailconf_parser::settings::{FormatSettings, Indent};
use jailconf_parser::syntax::{NodeKind, SyntaxTree};
use jailconf_parser::Target;

/// The default `max_width`.
pub const DEFAULT_MAX_WIDTH: usize = 100;

/// Columns a tab counts for when measuring line widths (tab indentation).
pub const TAB_WIDTH: usize = 4;

/// Line endings of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    CrLf,
}

impl LineEnding {
    /// The style of `text`: that of its first line break outside comments
    /// and quoted strings (LF when it has none).
    pub fn detect(text: &[u8]) -> LineEnding {
        LineEnding::of_tokens(text, &jailconf_parser::lexer::lex(text, Target::V15))
    }

    /// [`LineEnding::detect`] over already lexed text.
    pub(crate) fn of_tokens(text: &[u8], tokens: &Tokens) -> LineEnding {
        match tokens.iter().find(|t| t.kind == TokenKind::Newline) {
            Some(t) if t.start > 0 && text[t.start as usize - 1] == b'\r' => LineEnding::CrLf,
            _ => LineEnding::Lf,
        }
    }

    /// The bytes of one line ending.
    pub fn as_bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::CrLf => b"\r\n",
        }
    }
}

/// How to format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatOptions {
    /// One level of indentation: a number of spaces (at most 16; more
    /// count as 16) or a tab.
    pub indent: Indent,
    /// Align `=`/`+=` within runs of consecutive assignments.
    pub align: bool,
    /// Lines longer than this (in characters; a tab of indentation counts
    /// [`TAB_WIDTH`]) wrap their value lists one value per line.
    pub max_width: usize,
    /// Line endings of the output; `None` keeps the input's
    /// ([`LineEnding::detect`]).
    pub line_ending: Option<LineEnding>,
}

impl Default for FormatOptions {
    fn default() -> Self {
        FormatOptions {
            indent: Indent::default(),
            align: true,
            max_width: DEFAULT_MAX_WIDTH,
            line_ending: None,
        }
    }
}

impl FormatOptions {
    /// Options from the `[format]` section of `jailconf.toml`; keys it does
    /// not set keep their defaults.
    pub fn from_settings(settings: &FormatSettings) -> Self {
        let defaults = FormatOptions::default();
        FormatOptions {
            indent: settings.indent.unwrap_or(defaults.indent),
            align: settings.align.unwrap_or(defaults.align),
            max_width: settings.max_width.unwrap_or(defaults.max_width),
            line_ending: None,
        }
    }
}

/// Why a text was not formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// The text has lexical or syntax errors (in source order). Such a file
    /// is never formatted.
    Syntax(Vec<SyntaxError>),
    /// The text is larger than the parser accepts.
    TooLarge {
        /// The text's length in bytes.
        len: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Syntax(errors) => {
                let errors: Vec<_> = errors.iter().filter(|e| !e.follow_on).collect();
                let n = errors.len();
                write!(
                    f,
                    "not formatted: {n} syntax error{}",
                    if n == 1 { "" } else { "s" }
                )?;
                if let Some(first) = errors.first() {
                    write!(
                        f,
                        " (first at byte {}: {})",
                        first.range.start, first.message
                    )?;
                }
                Ok(())
            }
            FormatError::TooLarge { len } => write!(
                f,
                "not formatted: {len} bytes is more than the {MAX_INPUT} bytes the parser accepts"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

/// One replacement in the input: `range` (byte offsets) becomes `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// The byte range of the input to replace.
    pub range: Range<usize>,
    /// The replacement bytes.
    pub new_text: Vec<u8>,
}

/// Applies non-overlapping `edits` (in any order) to `text`.
pub fn apply_edits(text: &[u8], edits: &[TextEdit]) -> Vec<u8> {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.range.start);
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for edit in sorted {
        out.extend_from_slice(&text[at..edit.range.start]);
        out.extend_from_slice(&edit.new_text);
        at = edit.range.end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// Parses `text` for `target`; the tree, or the errors that forbid
/// formatting it.
fn parse_checked(text: &[u8], target: Target) -> Result<SyntaxTree, FormatError> {
    if text.len() > MAX_INPUT {
        return Err(FormatError::TooLarge { len: text.len() });
    }
    let parsed = parse(text, target);
    if parsed.errors.is_empty() {
        Ok(parsed.tree)
    } else {
        Err(FormatError::Syntax(parsed.errors))
    }
}

/// Formats a whole file.
///
/// `target` is the FreeBSD release whose grammar to parse with (on 13,
/// nested blocks and CR bytes are syntax errors). A text with syntax errors
/// is not formatted: the error carries them.
pub fn format(
    text: &[u8],
    options: &FormatOptions,
    target: Target,
) -> Result<Vec<u8>, FormatError> {
    let tree = parse_checked(text, target)?;
    Ok(printer::print(&tree, options, false, false).0)
}

/// Formats an already parsed file.
///
/// Meant for trees without syntax errors (what [`format()`] checks). In a
/// tree with errors, the statements and blocks that hold error nodes are
/// printed as they are and the rest is formatted (no byte other than
/// whitespace and empty statements is lost, but the contracts of
/// [`format()`] do not hold).
pub fn format_tree(tree: &SyntaxTree, options: &FormatOptions) -> Vec<u8> {
    let has_errors = tree
        .descendants(tree.root())
        .any(|node| tree.kind(node) == NodeKind::Error);
    printer::print(tree, options, has_errors, false).0
}

/// Whether `text` is already formatted: `format(text) == text`.
pub fn is_formatted(
    text: &[u8],
    options: &FormatOptions,
    target: Target,
) -> Result<bool, FormatError> {
    let tree = parse_checked(text, target)?;
    Ok(printer::print(&tree, options, false, false).0 == text)
}

/// Formats the statements, comments and blocks of a file that overlap
/// `range` (byte offsets; an empty range formats what touches that point)
/// and returns the edits that do it; the rest of the file is untouched.
///
/// Whole statements and blocks are formatted. When the range lies inside
/// one block's body only the overlapping items of that body are; items
/// sharing a line with the selection are included. The edited text is what
/// [`format()`] prints for those items (alignment and blank lines between
/// them included), so formatting the result again gives the same
/// [`format()`] output as the original. At most one edit is returned, none
/// when the range is already formatted.
pub fn format_range(
    text: &[u8],
    range: Range<usize>,
    options: &FormatOptions,
    target: Target,
) -> Result<Vec<TextEdit>, FormatError> {
    let tree = parse_checked(text, target)?;
    let (out, records) = printer::print(&tree, options, false, true);
    let newline = options
        .line_ending
        .unwrap_or_else(|| LineEnding::of_tokens(text, tree.tokens()))
        .as_bytes();
    Ok(range::edits(text, &out, &records, range, newline))
}

#[cfg(test)]
mod tests;
