//! Recursive-descent parser from tokens to the lossless [`SyntaxTree`].
//!
//! The grammar is jail(8)'s (see `jailparse.y`): a file is a list of jail
//! blocks, `;`-terminated parameter statements and empty statements; blocks
//! nest from FreeBSD 14.0 on. Parsing never fails: every token lands in the
//! tree, misplaced ones inside `Error` nodes, and every syntax error is
//! reported. Blocks are tracked with an explicit stack, so deep nesting
//! cannot overflow the call stack.

use std::ops::Range;

use crate::lexer::{self, piece_value, Token, TokenKind, Tokens};
use crate::syntax::{NodeKind, SyntaxTree, TreeBuilder};
use crate::Target;

/// The result of parsing one file.
#[derive(Clone, Debug)]
pub struct Parse {
    /// The lossless tree.
    pub tree: SyntaxTree,
    /// Lexical and syntax errors, in source order.
    pub errors: Vec<SyntaxError>,
}

/// What kind of problem a [`SyntaxError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyntaxErrorKind {
    /// A token the grammar does not allow here.
    UnexpectedToken,
    /// The file ends inside a block or a statement.
    UnexpectedEof,
    /// A quoted string that never closes.
    UnterminatedString,
    /// A `/*` comment that never closes.
    UnterminatedComment,
    /// A `${` without its `}` on the same line.
    UnterminatedVariable,
    /// A byte jail(8) does not accept outside quotes and comments.
    StrayCharacter,
}

/// A lexical or syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// The kind of error.
    pub kind: SyntaxErrorKind,
    /// Byte range to underline (empty for a missing token).
    pub range: Range<u32>,
    /// What went wrong, in our words.
    pub message: String,
    /// How to fix it, when we know.
    pub hint: Option<String>,
    /// A related place, e.g. the `{` a missing `}` belongs to.
    pub related: Option<(Range<u32>, String)>,
    /// The byte range of the token jail(8) reports the error at, or `None`
    /// when it reports the end of the file.
    pub jail_token: Option<Range<u32>>,
    /// The error only follows from an earlier one on its line (a template
    /// placeholder's braces): kept for the statements it breaks, not worth
    /// showing.
    pub follow_on: bool,
}

/// Lexes and parses `text` for the given target.
pub fn parse(text: &[u8], target: Target) -> Parse {
    parse_owned(text.to_vec(), target)
}

/// Like [`parse`], taking ownership of the text (no copy).
pub fn parse_owned(text: Vec<u8>, target: Target) -> Parse {
    let (tokens, lex_errors) = lexer::lex_reporting(&text, target);
    let mut parser = Parser {
        text: &text,
        tokens: &tokens,
        pos: 0,
        target,
        builder: TreeBuilder::new(tokens.len()),
        errors: Vec::new(),
        blocks: Vec::new(),
        statement_start: 0,
        line_starts: std::cell::OnceCell::new(),
        placeholder_line: None,
        placeholder_checked: None,
    };
    if lex_errors {
        parser.lexical_errors();
    }
    parser.file();
    let mut errors = parser.errors;
    let builder = parser.builder;
    errors.sort_by_key(|e| (e.range.start, e.range.end));
    Parse {
        tree: builder.build(text, tokens),
        errors,
    }
}

/// A related place of an error and what to say there.
type Related = (Range<u32>, String);

struct OpenBlock {
    lbrace: Option<Range<u32>>,
}

struct Parser<'a> {
    text: &'a [u8],
    tokens: &'a Tokens,
    pos: usize,
    target: Target,
    builder: TreeBuilder,
    errors: Vec<SyntaxError>,
    blocks: Vec<OpenBlock>,
    /// First token of the statement being parsed, for hints.
    statement_start: usize,
    /// Line starts, computed on the first hint that names a line.
    line_starts: std::cell::OnceCell<Vec<u32>>,
    /// The line of the last error reported on a template placeholder:
    /// the errors that follow from it on that line are left out.
    placeholder_line: Option<usize>,
    /// The last line looked at for a placeholder, and whether it has one:
    /// many errors on one long line look once.
    placeholder_checked: Option<(usize, bool)>,
}

impl Parser<'_> {
    fn lexical_errors(&mut self) {
        for token in self.tokens {
            let (kind, message, hint) = match token.kind {
                TokenKind::UnterminatedString => (
                    SyntaxErrorKind::UnterminatedString,
                    "unterminated string",
                    "close the string with the same quote character it starts with",
                ),
                TokenKind::UnterminatedComment => (
                    SyntaxErrorKind::UnterminatedComment,
                    "unterminated comment",
                    "close the comment with `*/`",
                ),
                TokenKind::UnterminatedVariable => (
                    SyntaxErrorKind::UnterminatedVariable,
                    "unterminated variable",
                    "close `${` with `}` on the same line",
                ),
                _ => continue,
            };
            let range = token.start..token.end;
            self.errors.push(SyntaxError {
                kind,
                range: range.clone(),
                message: message.to_string(),
                hint: Some(hint.to_string()),
                related: None,
                jail_token: Some(range),
                follow_on: false,
            });
        }
    }

    // ----- token access -------------------------------------------------

    /// Skips trivia and lexical-error tokens (which belong to the node
    /// currently open).
    fn skip_trivia(&mut self) {
        while let Some(kind) = self.tokens.kind(self.pos) {
            if kind.is_significant() {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next significant token, skipping trivia.
    fn peek(&mut self) -> Option<Token> {
        self.skip_trivia();
        self.tokens.get(self.pos)
    }

    /// The token right at the cursor if it is a piece that continues the
    /// previous one.
    fn joined_piece_here(&self) -> bool {
        self.tokens
            .get(self.pos)
            .is_some_and(|t| t.continues_string())
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// Consumes the joined pieces (and the closing quotes between them)
    /// that continue the current string.
    fn bump_joined(&mut self) {
        while self.joined_piece_here() {
            self.pos += 1;
        }
    }

    fn text_of(&self, token: Token) -> String {
        String::from_utf8_lossy(&self.text[token.range()]).into_owned()
    }

    fn end_offset(&self) -> u32 {
        self.text.len() as u32
    }

    /// End of the last non-trivia token before the cursor.
    fn prev_end(&self) -> u32 {
        self.tokens
            .range(0..self.pos)
            .rev()
            .find(|t| t.kind.is_significant() || t.kind == TokenKind::DqClose)
            .map_or(0, |t| t.end)
    }

    // ----- errors -----------------------------------------------------

    fn error_at(&mut self, token: Option<Token>, message: String, hint: Option<String>) {
        let (context, related) = self.context_hint();
        let hint = context.or(hint);
        let at = token.map_or_else(|| self.end_offset(), |t| t.start);
        let (hint, related, follow_on) = self.placeholder_hint(at, hint, related);
        let (range, kind, jail_token) = match token {
            Some(t) => {
                let kind = if t.kind == TokenKind::Stray {
                    SyntaxErrorKind::StrayCharacter
                } else {
                    SyntaxErrorKind::UnexpectedToken
                };
                (t.start..t.end, kind, Some(t.start..t.end))
            }
            None => {
                let end = self.end_offset();
                (end..end, SyntaxErrorKind::UnexpectedEof, None)
            }
        };
        self.errors.push(SyntaxError {
            kind,
            range,
            message,
            hint,
            related,
            jail_token,
            follow_on,
        });
    }

    /// A token is missing before `found` (e.g. a `;`): the error is shown
    /// where the missing token belongs, and jail(8) reports `found`.
    fn missing(&mut self, what: &str, found: Option<Token>, hint: Option<String>) {
        let (context, related) = self.context_hint();
        let hint = context.or(hint);
        let at = self.prev_end();
        let (hint, related, follow_on) = self.placeholder_hint(at, hint, related);
        let found_desc = found.map_or_else(|| "end of file".to_string(), |t| describe(self, t));
        let (kind, jail_token) = match found {
            Some(t) => (SyntaxErrorKind::UnexpectedToken, Some(t.start..t.end)),
            None => (SyntaxErrorKind::UnexpectedEof, None),
        };
        self.errors.push(SyntaxError {
            kind,
            range: at..at,
            message: format!("expected {what}, found {found_desc}"),
            hint,
            related,
            jail_token,
            follow_on,
        });
    }

    /// The hint and related label of an error at `at`, and whether it is a
    /// follow-on error: the template hint for the first error on a line
    /// with a template placeholder, a follow-on for the errors after it on
    /// that line, and `hint` and `related` unchanged elsewhere.
    fn placeholder_hint(
        &mut self,
        at: u32,
        hint: Option<String>,
        related: Option<Related>,
    ) -> (Option<String>, Option<Related>, bool) {
        let line = self.line_of(at);
        let has_placeholder = match self.placeholder_checked {
            Some((checked, has_placeholder)) if checked == line => has_placeholder,
            _ => {
                let has_placeholder = self.has_placeholder(line);
                self.placeholder_checked = Some((line, has_placeholder));
                has_placeholder
            }
        };
        if !has_placeholder {
            return (hint, related, false);
        }
        if self.placeholder_line == Some(line) {
            return (hint, related, true);
        }
        self.placeholder_line = Some(line);
        let hint = "this line holds a template placeholder (`{{ … }}` or `{% … %}`), whose braces \
                    jail(8) reads as block braces; check the rendered file instead (the errors \
                    that follow from it on this line are not shown)";
        (Some(hint.to_string()), None, false)
    }

    /// Whether 1-based `line` holds a template placeholder outside quotes:
    /// `{{` or `{%`, as Jinja, Go templates or Salt write them.
    fn has_placeholder(&self, line: usize) -> bool {
        let Some(starts) = self.line_starts.get() else {
            return false;
        };
        let start = starts[line - 1];
        let end = starts.get(line).copied().unwrap_or(u32::MAX);
        // The line's tokens, found from the cursor; a bounded search, as
        // a line can be very long.
        let mut first = self.pos.min(self.tokens.len());
        for _ in 0..512 {
            if first == 0 || self.tokens.at(first - 1).end <= start {
                break;
            }
            first -= 1;
        }
        let on_line = || {
            (self.tokens.range(first..self.tokens.len()))
                .take_while(move |t| t.start < end)
                .take(1024)
        };
        let opens_placeholder = |(open, next): (Token, Token)| {
            open.kind == TokenKind::LBrace
                && next.start == open.end
                && (next.kind == TokenKind::LBrace
                    || (next.kind.is_piece() && self.text.get(next.start as usize) == Some(&b'%')))
        };
        on_line().zip(on_line().skip(1)).any(opens_placeholder)
    }

    /// A hint explaining the usual cause of an error in the current
    /// statement: a comment that started inside an unquoted word, or a
    /// string that ran over several lines because a quote is missing.
    /// 1-based line of a byte offset.
    fn line_of(&self, offset: u32) -> usize {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(
                    self.text
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b == b'\n')
                        .map(|(i, _)| i as u32 + 1),
                )
                .collect()
        });
        starts.partition_point(|&s| s <= offset)
    }

    fn context_hint(&self) -> (Option<String>, Option<(Range<u32>, String)>) {
        let end = (self.pos + 1).min(self.tokens.len());
        let tokens = self.tokens.range(self.statement_start.min(end)..end);
        let line_of = |offset: u32| self.line_of(offset);
        for (before, comment) in tokens.clone().zip(tokens.clone().skip(1)) {
            if before.kind.is_piece()
                && before.end == comment.start
                && matches!(
                    comment.kind,
                    TokenKind::SlashComment | TokenKind::HashComment
                )
            {
                let opener = if comment.kind == TokenKind::SlashComment {
                    "//"
                } else {
                    "#"
                };
                let hint = format!(
                    "`{opener}` starts a comment even inside an unquoted word, so the rest of line {} (with its `;`) was ignored; quote the value",
                    line_of(comment.start)
                );
                let related = (
                    comment.start..comment.end,
                    "this is a comment, not part of the value".to_string(),
                );
                return (Some(hint), Some(related));
            }
        }
        // A string that runs over lines and swallowed a `;` is the
        // signature of a missing closing quote.
        let runaway = tokens.clone().find(|t| {
            let text = &self.text[t.range()];
            matches!(
                t.kind,
                TokenKind::SingleQuoted | TokenKind::DoubleQuoted | TokenKind::DqHead
            ) && text.contains(&b'\n')
                && text.contains(&b';')
        });
        match runaway {
            Some(t) => (
                Some(format!(
                    "the string opened on line {} runs to line {}: a closing quote is probably missing on line {} (a quote reaches to the next matching quote, even in a comment)",
                    line_of(t.start),
                    line_of(t.end),
                    line_of(t.start)
                )),
                Some((t.start..t.start + 1, "this string never closes on its own line".to_string())),
            ),
            None => (None, None),
        }
    }

    fn stray_message(&self, token: Token) -> (String, Option<String>) {
        let byte = self.text[token.start as usize];
        match token.kind {
            TokenKind::Stray if byte == b'\r' => (
                "carriage return outside quotes".to_string(),
                Some("FreeBSD 13 and older reject CRLF line endings; convert the file to LF".to_string()),
            ),
            TokenKind::Stray if byte == 0 => (
                "NUL byte outside quotes".to_string(),
                Some("jail(8) treats a NUL byte as the end of the file and ignores the rest".to_string()),
            ),
            TokenKind::Stray if byte >= 0x80 => (
                format!("non-ASCII byte 0x{byte:02x} outside quotes"),
                Some(
                    "put non-ASCII text inside quotes or a comment; jail(8) on amd64 silently ignores the rest of the file from this byte"
                        .to_string(),
                ),
            ),
            TokenKind::Stray => (
                format!("unexpected control character 0x{byte:02x}"),
                Some("only spaces, tabs and newlines may separate tokens".to_string()),
            ),
            _ => (format!("unexpected {}", describe(self, token)), None),
        }
    }

    /// Wraps the tokens up to (not including) the next `;`, `{`, `}` or the
    /// end of the file in an `Error` node.
    fn recover(&mut self) {
        self.builder.start(NodeKind::Error, self.pos);
        while let Some(t) = self.tokens.get(self.pos) {
            if matches!(
                t.kind,
                TokenKind::Semi | TokenKind::LBrace | TokenKind::RBrace
            ) {
                break;
            }
            self.pos += 1;
        }
        self.builder.finish(self.pos);
    }

    /// After a broken statement: skip to the end of it and consume its `;`.
    fn recover_statement(&mut self) {
        self.recover();
        if self.peek().is_some_and(|t| t.kind == TokenKind::Semi) {
            self.bump();
        }
    }

    // ----- grammar ------------------------------------------------------

    fn file(&mut self) {
        self.builder.start(NodeKind::SourceFile, 0);
        loop {
            let Some(token) = self.peek() else {
                self.unclosed_blocks();
                break;
            };
            self.statement_start = self.pos;
            match token.kind {
                TokenKind::Semi => {
                    self.builder.start(NodeKind::EmptyStatement, self.pos);
                    self.bump();
                    self.builder.finish(self.pos);
                }
                TokenKind::RBrace => {
                    if self.blocks.pop().is_some() {
                        self.bump();
                        self.builder.finish(self.pos);
                    } else {
                        self.builder.start(NodeKind::Error, self.pos);
                        self.bump();
                        self.builder.finish(self.pos);
                        self.error_at(
                            Some(token),
                            "unexpected `}` outside any block".to_string(),
                            Some("remove it, or add the block it was meant to close".to_string()),
                        );
                    }
                }
                TokenKind::LBrace => {
                    // After a broken statement the `{` was reported already.
                    let reported = self
                        .errors
                        .last()
                        .is_some_and(|e| e.jail_token == Some(token.start..token.end));
                    if !reported {
                        self.error_at(
                            Some(token),
                            "a block needs a jail name before `{`".to_string(),
                            Some("write `NAME { … }`".to_string()),
                        );
                    }
                    self.builder.start(NodeKind::JailBlock, self.pos);
                    self.open_block(token);
                }
                kind if kind.is_piece() && !token.joined => self.item(token),
                _ => {
                    let (message, hint) = self.stray_message(token);
                    self.error_at(Some(token), message, hint);
                    self.builder.start(NodeKind::Error, self.pos);
                    self.bump();
                    self.bump_joined();
                    self.builder.finish(self.pos);
                }
            }
        }
        self.builder.finish(self.tokens.len());
    }

    fn unclosed_blocks(&mut self) {
        if let Some(block) = self.blocks.last() {
            let related = block
                .lbrace
                .clone()
                .map(|r| (r, "this block is never closed".to_string()));
            let end = self.end_offset();
            self.errors.push(SyntaxError {
                kind: SyntaxErrorKind::UnexpectedEof,
                range: end..end,
                message: "unexpected end of file: expected `}`".to_string(),
                hint: Some("add the missing `}`".to_string()),
                related,
                jail_token: None,
                follow_on: false,
            });
        }
        while self.blocks.pop().is_some() {
            self.builder.finish(self.tokens.len());
        }
    }

    fn open_block(&mut self, lbrace: Token) {
        if !self.target.new_grammar() && !self.blocks.is_empty() {
            self.error_at(
                Some(lbrace),
                "nested jail blocks need FreeBSD 14.0 or later".to_string(),
                Some("write the inner jail as a top-level block with a dotted name (`parent.child { … }`)".to_string()),
            );
        }
        self.bump();
        self.blocks.push(OpenBlock {
            lbrace: Some(lbrace.start..lbrace.end),
        });
    }

    /// A statement or a jail block, starting at an unjoined piece.
    fn item(&mut self, first: Token) {
        let start = self.pos;
        self.statement_start = start;
        // Look past the name's pieces for a `{`.
        let after = self.tokens.string_end(start + 1, self.tokens.len());
        let name_is_joined = after > start + 1
            && self
                .tokens
                .range(start + 1..after)
                .any(|t| t.kind.is_piece());
        let mut next = after;
        while self
            .tokens
            .get(next)
            .is_some_and(|t| !t.kind.is_significant())
        {
            next += 1;
        }
        let opens_block = self
            .tokens
            .get(next)
            .is_some_and(|t| t.kind == TokenKind::LBrace);
        if opens_block && !first.kind.is_variable() {
            self.block(first, name_is_joined, after);
        } else {
            self.statement(first, name_is_joined);
        }
    }

    fn block(&mut self, first: Token, name_is_joined: bool, name_end: usize) {
        let block = self.builder.start(NodeKind::JailBlock, self.pos);
        (self.builder.jail_names).push(block, first, &self.text[first.range()]);
        self.builder.start(NodeKind::JailName, self.pos);
        self.bump();
        if name_is_joined {
            let joined = self.tokens.at(self.pos);
            let name = String::from_utf8_lossy(
                &self.text[first.start as usize..self.tokens.at(name_end - 1).end as usize],
            )
            .into_owned();
            let hint = if first.kind == TokenKind::DqHead {
                "`$` inside double quotes starts a variable reference and splits the string, \
                 even when no name follows; write the name in single quotes or escape the `$` (`\\$`)"
                    .to_string()
            } else if name.contains('*') {
                format!(
                    "quote the wildcard name: `\"{}\" {{`",
                    name.replace('"', "")
                )
            } else {
                "a jail name must be one word or one quoted string; quote the whole name"
                    .to_string()
            };
            self.error_at(
                Some(joined),
                format!("jail name `{name}` is made of several pieces"),
                Some(hint),
            );
            self.bump_joined();
        }
        self.builder.finish(self.pos);
        let Some(lbrace) = self.peek() else { return };
        self.open_block(lbrace);
    }

    fn statement(&mut self, first: Token, name_is_joined: bool) {
        let node = self.builder.start(NodeKind::Statement, self.pos);
        self.builder.start(NodeKind::ParamName, self.pos);
        self.bump();
        if name_is_joined {
            let joined = self.tokens.at(self.pos);
            let hint = if first.kind.is_variable() {
                "a variable name must be one `$name` or `${name}`; use `${a.b}` for dotted names"
                    .to_string()
            } else {
                "a parameter name must be one word or one quoted string".to_string()
            };
            self.error_at(
                Some(joined),
                format!("unexpected {} in a parameter name", describe(self, joined)),
                Some(hint),
            );
            self.bump_joined();
        }
        self.builder.finish(self.pos);

        let next = self.peek();
        let mut has_operator = false;
        match next.map(|t| t.kind) {
            Some(TokenKind::Semi) => {
                self.bump();
                self.builder.finish(self.pos);
                return;
            }
            Some(TokenKind::Eq | TokenKind::PlusEq) => {
                has_operator = true;
                self.bump();
            }
            Some(kind) if kind.is_piece() => {}
            Some(TokenKind::LBrace) => {
                // `$var {`: a variable cannot name a block. Keep the braces
                // balanced by parsing the block anyway.
                self.error_at(
                    next,
                    "a variable cannot name a jail block".to_string(),
                    Some("jail names are plain words or quoted strings".to_string()),
                );
                self.builder.set_kind(node, NodeKind::JailBlock);
                if let Some(lbrace) = next {
                    self.open_block(lbrace);
                }
                return;
            }
            Some(TokenKind::RBrace) | None => {
                self.missing(
                    "`;`",
                    next,
                    Some("end every statement with `;`, the last one in a block too".to_string()),
                );
                self.builder.finish(self.pos);
                return;
            }
            _ => {
                let token = next.expect("matched Some");
                self.error_at(
                    next,
                    format!(
                        "expected `=`, `+=`, a value or `;`, found {}",
                        describe(self, token)
                    ),
                    None,
                );
                self.recover_statement();
                self.builder.finish(self.pos);
                return;
            }
        }
        self.value_list();
        if self.target.new_grammar() && !has_operator && self.is_include_name(first) {
            self.builder.set_kind(node, NodeKind::Include);
        }
        self.builder.finish(self.pos);
    }

    fn is_include_name(&self, first: Token) -> bool {
        !first.kind.is_variable()
            && piece_value(first.kind, &self.text[first.range()]) == b".include"
    }

    /// `value { "," value } ";"`, the cursor at the first value.
    fn value_list(&mut self) {
        self.skip_trivia();
        self.builder.start(NodeKind::ValueList, self.pos);
        let mut reported = false;
        loop {
            let Some(token) = self.peek() else {
                self.builder.finish(self.pos);
                self.missing("a value", None, None);
                return;
            };
            if !token.kind.is_piece() || token.joined {
                let hint = match token.kind {
                    TokenKind::Semi => Some(
                        "an empty value is written `\"\"`; a trailing comma is not allowed"
                            .to_string(),
                    ),
                    _ => None,
                };
                self.error_at(
                    Some(token),
                    format!("expected a value, found {}", describe(self, token)),
                    hint,
                );
                self.builder.finish(self.pos);
                self.recover_statement();
                return;
            }
            self.builder.start(NodeKind::Value, self.pos);
            self.bump();
            self.bump_joined();
            self.builder.finish(self.pos);
            let Some(after) = self.peek() else {
                self.builder.finish(self.pos);
                self.missing("`;`", None, None);
                return;
            };
            match after.kind {
                TokenKind::Comma => self.bump(),
                TokenKind::Semi => {
                    self.builder.finish(self.pos);
                    self.bump();
                    return;
                }
                TokenKind::RBrace => {
                    self.builder.finish(self.pos);
                    self.missing(
                        "`;`",
                        Some(after),
                        Some(
                            "end every statement with `;`, the last one in a block too".to_string(),
                        ),
                    );
                    return;
                }
                kind if kind.is_piece()
                    && self.starts_a_new_line(after)
                    && self.piece_starts_statement() =>
                {
                    // The statement above lacks its `;`: end it here and
                    // read this line as the next statement (reported once).
                    self.builder.finish(self.pos);
                    if reported {
                        return;
                    }
                    self.missing(
                        "`;`",
                        Some(after),
                        Some(
                            "the statement before this line is probably missing its `;`"
                                .to_string(),
                        ),
                    );
                    return;
                }
                kind if kind.is_piece() => {
                    // `a = b c;`: two values without a comma.
                    if !reported {
                        reported = true;
                        self.missing(
                            "`,` or `;`",
                            Some(after),
                            Some(
                                "separate values with `,`, or quote a value that contains spaces"
                                    .to_string(),
                            ),
                        );
                    }
                }
                _ => {
                    let hint = match after.kind {
                        TokenKind::Eq | TokenKind::PlusEq => {
                            Some("quote a value that contains `=`".to_string())
                        }
                        TokenKind::LBrace => {
                            Some("a `;` is probably missing before this block".to_string())
                        }
                        _ => None,
                    };
                    let (message, stray_hint) = self.stray_message(after);
                    let message = if after.kind == TokenKind::Stray {
                        message
                    } else {
                        format!("expected `,` or `;`, found {}", describe(self, after))
                    };
                    self.error_at(Some(after), message, hint.or(stray_hint));
                    self.builder.finish(self.pos);
                    self.recover_statement();
                    return;
                }
            }
        }
    }

    /// Whether the piece at the cursor (with the pieces joined to it) is
    /// followed by `=`, `+=`, `;` or `{`: the start of a statement or block.
    fn piece_starts_statement(&self) -> bool {
        let mut index = self.pos + 1;
        while self
            .tokens
            .get(index)
            .is_some_and(|t| (t.kind.is_piece() && t.joined) || !t.kind.is_significant())
        {
            index += 1;
        }
        self.tokens.get(index).is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::Eq | TokenKind::PlusEq | TokenKind::Semi | TokenKind::LBrace
            )
        })
    }

    /// Whether a line break separates `token` from the last significant
    /// token before the cursor.
    fn starts_a_new_line(&self, token: Token) -> bool {
        self.text[self.prev_end() as usize..token.start as usize].contains(&b'\n')
    }
}

/// How a token is named in messages.
fn describe(parser: &Parser<'_>, token: Token) -> String {
    match token.kind {
        TokenKind::Semi => "`;`".to_string(),
        TokenKind::Comma => "`,`".to_string(),
        TokenKind::Eq => "`=`".to_string(),
        TokenKind::PlusEq => "`+=`".to_string(),
        TokenKind::LBrace => "`{`".to_string(),
        TokenKind::RBrace => "`}`".to_string(),
        TokenKind::Stray => format!("byte 0x{:02x}", parser.text[token.start as usize]),
        _ => {
            // One line at most, no control characters, no more than 40
            // characters.
            let text = parser.text_of(token);
            let first_line = text.lines().next().unwrap_or("");
            let mut shown: String = first_line
                .chars()
                .take(40)
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            format!("`{shown}`")
        }
    }
}
