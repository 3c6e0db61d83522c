//! A total, lossless lexer for jail.conf.
//!
//! It follows jail(8)'s flex scanner rule for rule: longest match, first
//! rule on ties, and the two scanner states (normal, and "inside a
//! double-quoted string after a variable"). Every byte of the input lands in
//! exactly one token, so concatenating the token texts gives the input back.
//! Problems (unterminated strings, comments and variables) become error
//! tokens; the lexer itself never fails.
//!
//! Whether a piece continues the string before it (flex's `STR1`/`VAR1`
//! versus `STR`/`VAR`) is recorded on the token as [`Token::joined`].

use nom::bytes::complete::{take_while, take_while1};
use nom::IResult;

use crate::Target;

/// Declares [`TokenKind`] and [`ALL_KINDS`], every kind in the order of
/// its `u8` value, from one list.
macro_rules! token_kinds {
    ($($(#[$doc:meta])* $kind:ident,)*) => {
        /// What a token is.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
        #[repr(u8)]
        pub enum TokenKind {
            $($(#[$doc])* $kind,)*
        }

        /// Every [`TokenKind`] in the order of its `u8` value.
        const ALL_KINDS: &[TokenKind] = &[$(TokenKind::$kind,)*];
    };
}

token_kinds! {
    /// Spaces and tabs (and CR on 14.0+).
    Whitespace,
    /// One line feed.
    Newline,
    /// `# …` to the end of the line.
    HashComment,
    /// `// …` to the end of the line.
    SlashComment,
    /// `/* … */`.
    BlockComment,
    /// `;`
    Semi,
    /// `,`
    Comma,
    /// `=`
    Eq,
    /// `+=`
    PlusEq,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// A run of bare-word characters.
    Bare,
    /// A lone `$`, `*`, `+`, `/` or `\`.
    Special,
    /// A backslash escape outside quotes (`\ `, `\101`, `\x41`, …).
    Escape,
    /// `'…'`
    SingleQuoted,
    /// `"…"` without variable references.
    DoubleQuoted,
    /// The opening part of a double-quoted string that contains a `$`:
    /// the quote and the text before the first `$`.
    DqHead,
    /// Text inside a double-quoted string, after a variable, up to the
    /// next `$`.
    DqText,
    /// Text inside a double-quoted string, after a variable, including the
    /// closing quote.
    DqTail,
    /// A lone closing quote after a variable. Not a piece of its own.
    DqClose,
    /// `$name`
    VarSimple,
    /// `${…}`
    VarBraced,
    /// `/*` without a closing `*/` (runs to the end of the input).
    UnterminatedComment,
    /// A quote without a matching closing quote (runs to the end of the line).
    UnterminatedString,
    /// `${` without a closing `}` on the same line.
    UnterminatedVariable,
    /// Any other byte: control characters, non-ASCII bytes, NUL, and CR
    /// before 14.0.
    Stray,
}

impl TokenKind {
    /// Whitespace, newlines and comments: they separate but mean nothing.
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Whitespace
                | TokenKind::Newline
                | TokenKind::HashComment
                | TokenKind::SlashComment
                | TokenKind::BlockComment
        )
    }

    /// Comments of any kind, terminated or not.
    pub fn is_comment(self) -> bool {
        matches!(
            self,
            TokenKind::HashComment
                | TokenKind::SlashComment
                | TokenKind::BlockComment
                | TokenKind::UnterminatedComment
        )
    }

    /// Lexical errors. jail(8) reports them and returns no token for them,
    /// so the parser skips them like trivia.
    pub fn is_lex_error(self) -> bool {
        matches!(
            self,
            TokenKind::UnterminatedComment
                | TokenKind::UnterminatedString
                | TokenKind::UnterminatedVariable
        )
    }

    /// A piece of a string: something jail(8) returns as `STR`/`STR1`/`VAR`/`VAR1`.
    pub fn is_piece(self) -> bool {
        matches!(
            self,
            TokenKind::Bare
                | TokenKind::Special
                | TokenKind::Escape
                | TokenKind::SingleQuoted
                | TokenKind::DoubleQuoted
                | TokenKind::DqHead
                | TokenKind::DqText
                | TokenKind::DqTail
                | TokenKind::VarSimple
                | TokenKind::VarBraced
        )
    }

    /// Text of a terminated quoted string: a whole `'…'` or `"…"`, or a
    /// part of a double-quoted string with variables in it.
    pub fn is_quoted(self) -> bool {
        matches!(
            self,
            TokenKind::SingleQuoted
                | TokenKind::DoubleQuoted
                | TokenKind::DqHead
                | TokenKind::DqText
                | TokenKind::DqTail
                | TokenKind::DqClose
        )
    }

    /// A variable reference piece.
    pub fn is_variable(self) -> bool {
        matches!(self, TokenKind::VarSimple | TokenKind::VarBraced)
    }

    /// A token the grammar sees (pieces, punctuation, stray bytes).
    pub fn is_significant(self) -> bool {
        !self.is_trivia() && !self.is_lex_error() && self != TokenKind::DqClose
    }
}

/// One token: a kind, a byte range, and whether it continues a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// For pieces: true when the piece continues the string before it
    /// (nothing separates them), i.e. flex's `STR1`/`VAR1`.
    pub joined: bool,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset after the last byte.
    pub end: u32,
}

impl Token {
    /// The token's byte range as `usize`s.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Whether it continues the string before it: a joined piece, or the
    /// closing quote of a double-quoted string after a variable.
    pub fn continues_string(&self) -> bool {
        (self.kind.is_piece() && self.joined) || self.kind == TokenKind::DqClose
    }
}

/// The kind of each tag value without its [`JOINED`] bit: [`ALL_KINDS`],
/// padded to 128 entries so that looking a tag up needs no bounds check.
const KINDS: [TokenKind; 128] = {
    let mut kinds = [TokenKind::Stray; 128];
    let mut index = 0;
    while index < ALL_KINDS.len() {
        // Each kind sits at its own value: checked when compiling.
        assert!(ALL_KINDS[index] as usize == index);
        kinds[index] = ALL_KINDS[index];
        index += 1;
    }
    kinds
};

/// The bit of a tag that marks a joined piece ([`Token::joined`]).
const JOINED: u8 = 0x80;

/// The kind a tag holds.
#[inline]
fn kind_of(tag: u8) -> TokenKind {
    KINDS[usize::from(tag & !JOINED)]
}

/// The tokens of one input, column by column: one tag byte (the kind and
/// the joined flag) and one start offset per token, and the input's
/// length after the last start. A token ends where the next one starts
/// (every byte is in a token), so 5 bytes a token hold what a [`Token`]
/// holds in 12; a large configuration has more tokens than bytes of
/// anything else, and each stage reads them again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    tags: Vec<u8>,
    /// `tags.len() + 1` entries.
    starts: Vec<u32>,
    /// See [`Tokens::multi_line`].
    multi_line: Vec<u32>,
}

impl Tokens {
    /// No tokens yet, the first to start at `start`.
    fn starting_at(start: u32, capacity: usize) -> Self {
        let mut starts = Vec::with_capacity(capacity + 1);
        starts.push(start);
        Tokens {
            tags: Vec::with_capacity(capacity),
            starts,
            multi_line: Vec::new(),
        }
    }

    /// Appends `next`, whose first token starts where these end.
    fn append(&mut self, next: Tokens) {
        debug_assert_eq!(self.starts.last(), next.starts.first());
        let offset = self.len() as u32;
        self.tags.extend_from_slice(&next.tags);
        self.starts.extend_from_slice(&next.starts[1..]);
        (self.multi_line).extend(next.multi_line.iter().map(|index| index + offset));
    }

    /// Appends a token from the current end to `end`; `line_break`: its
    /// text has one (see [`Tokens::multi_line`]).
    fn push(&mut self, kind: TokenKind, joined: bool, end: u32, line_break: bool) {
        if line_break {
            self.multi_line.push(self.len() as u32);
        }
        self.tags.push(kind as u8 | if joined { JOINED } else { 0 });
        self.starts.push(end);
    }

    /// The indices, in order, of the tokens other than
    /// [`Newline`](TokenKind::Newline)s whose text has a line break in it:
    /// strings and block comments over several lines, escaped line
    /// breaks. Found while lexing: a rule about them need not read every
    /// token.
    pub fn multi_line(&self) -> &[u32] {
        &self.multi_line
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.tags.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// The token at `index`, if there is one.
    #[inline]
    pub fn get(&self, index: usize) -> Option<Token> {
        let tag = *self.tags.get(index)?;
        Some(Token {
            kind: kind_of(tag),
            joined: tag & JOINED != 0,
            start: self.starts[index],
            end: self.starts[index + 1],
        })
    }

    /// The token at `index`.
    ///
    /// # Panics
    /// When `index` is out of range, like indexing a slice.
    #[inline]
    pub fn at(&self, index: usize) -> Token {
        match self.get(index) {
            Some(token) => token,
            None => panic!("token {index} of {}", self.len()),
        }
    }

    /// The kind of the token at `index`, if there is one.
    #[inline]
    pub fn kind(&self, index: usize) -> Option<TokenKind> {
        self.tags.get(index).copied().map(kind_of)
    }

    /// Whether the token at `index` is joined to the one before it (no
    /// trivia between them; `false` past the end). Reads only the token's
    /// tag, not its range.
    #[inline]
    pub fn is_joined(&self, index: usize) -> bool {
        self.tags.get(index).is_some_and(|&tag| tag & JOINED != 0)
    }

    /// The indices of the tokens of `kind`, in order. The tags are
    /// searched with vector instructions: much faster than a pass over
    /// [`Tokens::kinds`] when few tokens are of that kind.
    pub fn indices_of(&self, kind: TokenKind) -> impl Iterator<Item = usize> + '_ {
        let tag = kind as u8;
        memchr::memchr2_iter(tag, tag | JOINED, &self.tags)
    }

    /// The kinds of the tokens in order: a pass that looks for a few kinds
    /// reads one byte a token, not the token's range.
    pub fn kinds(&self) -> impl ExactSizeIterator<Item = TokenKind> + '_ {
        self.tags.iter().map(|&tag| kind_of(tag))
    }

    /// The tokens in order.
    pub fn iter(&self) -> TokenIter<'_> {
        self.range(0..self.len())
    }

    /// The tokens with indices in `range`, in order.
    ///
    /// # Panics
    /// When the range is out of bounds, like slicing.
    pub fn range(&self, range: std::ops::Range<usize>) -> TokenIter<'_> {
        assert!(
            range.start <= range.end && range.end <= self.len(),
            "tokens {range:?} of {}",
            self.len()
        );
        TokenIter {
            tokens: self,
            next: range.start,
            end: range.end,
        }
    }

    /// The index of the first token for which `pred` is false, given that
    /// it is true for every token before and false for every one after
    /// (like [`slice::partition_point`]).
    pub fn partition_point(&self, mut pred: impl FnMut(Token) -> bool) -> usize {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = low + (high - low) / 2;
            if pred(self.at(middle)) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    /// The index after the tokens from `index` on (below `limit`) that
    /// continue the string before them ([`Token::continues_string`]).
    pub fn string_end(&self, mut index: usize, limit: usize) -> usize {
        while index < limit && self.get(index).is_some_and(|t| t.continues_string()) {
            index += 1;
        }
        index
    }

    /// The last token.
    pub fn last(&self) -> Option<Token> {
        self.len().checked_sub(1).and_then(|index| self.get(index))
    }
}

impl<'a> IntoIterator for &'a Tokens {
    type Item = Token;
    type IntoIter = TokenIter<'a>;

    fn into_iter(self) -> TokenIter<'a> {
        self.iter()
    }
}

/// Iterator over a range of [`Tokens`].
#[derive(Clone, Debug)]
pub struct TokenIter<'a> {
    tokens: &'a Tokens,
    next: usize,
    end: usize,
}

impl Iterator for TokenIter<'_> {
    type Item = Token;

    #[inline]
    fn next(&mut self) -> Option<Token> {
        if self.next >= self.end {
            return None;
        }
        self.next += 1;
        self.tokens.get(self.next - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.end - self.next;
        (left, Some(left))
    }
}

impl DoubleEndedIterator for TokenIter<'_> {
    fn next_back(&mut self) -> Option<Token> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        self.tokens.get(self.end)
    }
}

impl ExactSizeIterator for TokenIter<'_> {}

/// The largest input the lexer accepts (offsets are 32-bit).
pub const MAX_INPUT: usize = u32::MAX as usize - 1;

/// Splits `input` into tokens following the scanner of the given target.
///
/// Inputs larger than [`MAX_INPUT`] are cut there; callers check the size
/// first and report it.
pub fn lex(input: &[u8], target: Target) -> Tokens {
    lex_reporting(input, target).0
}

/// [`lex`], and whether any token is a lexical error
/// ([`TokenKind::is_lex_error`]), so that the parser does not have to
/// look through all the tokens for them.
pub(crate) fn lex_reporting(input: &[u8], target: Target) -> (Tokens, bool) {
    let input = &input[..input.len().min(MAX_INPUT)];
    let two_threads = input.len() >= PARALLEL_LEX_BYTES
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    match line_start_after(input, input.len() / 2).filter(|_| two_threads) {
        Some(split) => lex_split(input, target, split),
        None => one_pass(input, target),
    }
}

/// Lexes `input` in one pass.
fn one_pass(input: &[u8], target: Target) -> (Tokens, bool) {
    let mut lexer = Lexer::new(input, target, 0);
    lexer.run(input.len());
    (lexer.tokens, lexer.lex_errors)
}

/// From this many bytes on, the input is lexed in two halves at once.
const PARALLEL_LEX_BYTES: usize = 512 * 1024;

/// The start of the first line that begins after `from`, if any.
fn line_start_after(input: &[u8], from: usize) -> Option<usize> {
    let newline = input.get(from..)?.iter().position(|&b| b == b'\n')?;
    Some(from + newline + 1).filter(|&split| split < input.len())
}

/// Lexes `input` as two halves at once, the second from `split` (a line
/// start), and joins them when the first half ends exactly there with the
/// scanner in its initial state: the scanner looks only forward, so the
/// second half's tokens are then the ones a single pass would give. When a
/// token runs across `split` (a multi-line string or comment), the first
/// half's pass goes on to the end instead.
fn lex_split(input: &[u8], target: Target, split: usize) -> (Tokens, bool) {
    let halves = [(0, split), (split, input.len())].map(|(start, end)| {
        move || {
            let mut lexer = Lexer::new(input, target, start);
            lexer.run(end);
            lexer
        }
    });
    let mut halves = crate::threads::side_by_side(Vec::from(halves)).into_iter();
    let (mut first, second) = match (halves.next(), halves.next()) {
        (Some(first), Some(second)) => (first, second),
        // side_by_side gives every result: not reached.
        _ => return one_pass(input, target),
    };
    if first.pos == split && !first.in_string && !first.in_dq {
        first.tokens.append(second.tokens);
        (first.tokens, first.lex_errors || second.lex_errors)
    } else {
        first.run(input.len());
        (first.tokens, first.lex_errors)
    }
}

struct Lexer<'a> {
    input: &'a [u8],
    pos: usize,
    /// flex's `instr`: the previous token was a piece with nothing after it.
    in_string: bool,
    /// flex's `DQ` start condition.
    in_dq: bool,
    /// In the `DQ` state: the offset just past the string's closing quote.
    dq_end: usize,
    cr_is_space: bool,
    tokens: Tokens,
    /// Whether a lexical error token was pushed.
    lex_errors: bool,
}

/// Characters of a bare word.
pub fn is_bare_byte(b: u8) -> bool {
    BARE[b as usize]
}

const BARE: [bool; 256] = {
    let mut table = [false; 256];
    let extra = b"_!%&()-.:<>?@[]^`|~";
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
};

fn is_var_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_var_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn bare_run(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(is_bare_byte)(input)
}

fn to_line_end(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while(|b| b != b'\n')(input)
}

fn space_run(cr_is_space: bool) -> impl Fn(&[u8]) -> IResult<&[u8], &[u8]> {
    move |input| take_while1(|b| b == b' ' || b == b'\t' || (cr_is_space && b == b'\r'))(input)
}

/// Length of a complete quoted string starting at `input[0]` (the quote),
/// with `\` escaping any following byte, and whether it has a line break;
/// `None` when it never closes.
fn closed_quote_len(input: &[u8], quote: u8) -> Option<(usize, bool)> {
    let mut line_break = false;
    let mut i = 1;
    while i < input.len() {
        i = find_any(input, i, [quote, b'\\', b'\n']);
        match input.get(i) {
            None => break,
            Some(&b) if b == quote => return Some((i + 1, line_break)),
            Some(b'\n') => {
                line_break = true;
                i += 1;
            }
            // A backslash.
            Some(_) => {
                let escaped = *input.get(i + 1)?;
                line_break |= escaped == b'\n';
                i += 2;
            }
        }
    }
    None
}

/// Length of the "unterminated" match of a construct opened by `open_len`
/// bytes: any byte except a newline and the `stop` bytes, or `\` followed
/// by anything but a newline.
fn unterminated_len(input: &[u8], open_len: usize, stop: &[u8]) -> usize {
    let mut i = open_len;
    while i < input.len() {
        match input[i] {
            b'\n' => break,
            b'\\' => {
                if i + 1 >= input.len() || input[i + 1] == b'\n' {
                    break;
                }
                i += 2;
            }
            b if stop.contains(&b) => break,
            _ => i += 1,
        }
    }
    i
}

/// What [`double_quoted_len`] finds in a closed double-quoted string.
struct DoubleQuoted {
    /// Its length.
    len: usize,
    /// The offset of its first `$` not escaped by a backslash.
    dollar: Option<usize>,
    /// The offset of its first line break (escaped or not).
    line_break: Option<usize>,
}

/// For a double-quoted string at `input[0]`: its length when it closes
/// (as [`closed_quote_len`] finds it), the offset of its first `$` not
/// escaped by a backslash (as [`dq_text_end`] finds it in the string's
/// body) and of its first line break, in one pass.
fn double_quoted_len(input: &[u8]) -> Option<DoubleQuoted> {
    let mut dollar = None;
    let mut line_break = None;
    let mut i = 1;
    while i < input.len() {
        i = find_any(input, i, [b'"', b'\\', b'$', b'\n']);
        match input.get(i) {
            None => break,
            Some(b'"') => {
                return Some(DoubleQuoted {
                    len: i + 1,
                    dollar,
                    line_break,
                })
            }
            Some(b'\\') => {
                if *input.get(i + 1)? == b'\n' {
                    line_break = line_break.or(Some(i + 1));
                }
                i += 2;
            }
            Some(b'$') => {
                dollar = dollar.or(Some(i));
                i += 1;
            }
            Some(_) => {
                line_break = line_break.or(Some(i));
                i += 1;
            }
        }
    }
    None
}

/// The index of the first byte at or after `from` that is one of
/// `targets`, or the length of `input`. Eight bytes at a time: strings are
/// long runs of ordinary bytes.
fn find_any<const N: usize>(input: &[u8], from: usize, targets: [u8; N]) -> usize {
    let mut i = from;
    while let Some(chunk) = input.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let found = targets
            .iter()
            .fold(0, |found, &t| found | zero_bytes(word ^ splat(t)));
        if found != 0 {
            return i + found.trailing_zeros() as usize / 8;
        }
        i += 8;
    }
    input[i.min(input.len())..]
        .iter()
        .position(|b| targets.contains(b))
        .map_or(input.len(), |at| i + at)
}

/// `byte` in each of the eight bytes of a word.
pub(crate) const fn splat(byte: u8) -> u64 {
    u64::from_le_bytes([byte; 8])
}

/// The high bit of each byte of `word` that is zero, and no other bit: the
/// core of the eight-bytes-at-a-time searches (`word ^ splat(b)` has zero
/// bytes where `word` has `b`).
pub(crate) const fn zero_bytes(word: u64) -> u64 {
    // Adding 0x7f to the low seven bits sets the high bit unless they are
    // all zero, without carrying into the next byte.
    !(((word & splat(0x7f)) + splat(0x7f)) | word) & splat(0x80)
}

/// For the text of a double-quoted string after a variable, up to its
/// closing quote: the position of the first `$` not escaped by a
/// backslash, scanning as jail(8)'s `text2lval` does (a backslash always
/// takes the next byte), and whether there is a line break before it (in
/// all of `input` when there is no such `$`).
fn dq_text_end(input: &[u8]) -> (Option<usize>, bool) {
    let mut line_break = false;
    let mut i = 0;
    while i < input.len() {
        i = find_any(input, i, [b'$', b'\\', b'\n']);
        match input.get(i) {
            None => break,
            Some(b'$') => return (Some(i), line_break),
            Some(b'\n') => {
                line_break = true;
                i += 1;
            }
            // A backslash takes the next byte.
            Some(_) => {
                line_break |= input.get(i + 1) == Some(&b'\n');
                i += 2;
            }
        }
    }
    (None, line_break)
}

/// Length of a `${…}` reference at `input[0]`: `Ok((len, line_break))`
/// when closed (`line_break`: it has an escaped one), `Err(len)` for the
/// unterminated match (which never has one). Inside double quotes a `"`
/// ends the name too.
fn braced_var_len(input: &[u8], in_dq: bool) -> Result<(usize, bool), usize> {
    let mut line_break = false;
    let mut i = 2;
    while i < input.len() {
        match input[i] {
            b'}' => return Ok((i + 1, line_break)),
            b'\n' | b'{' => break,
            b'"' if in_dq => break,
            b'\\' => {
                if i + 1 >= input.len() {
                    break;
                }
                line_break |= input[i + 1] == b'\n';
                i += 2;
            }
            _ => i += 1,
        }
    }
    let stop: &[u8] = if in_dq { b"{}\"" } else { b"{}" };
    Err(unterminated_len(input, 2, stop))
}

/// Length of a backslash escape at `input[0]`.
fn escape_len(input: &[u8]) -> usize {
    match input.get(1) {
        None => 1,
        Some(b'0'..=b'7') => {
            1 + input[1..]
                .iter()
                .take(3)
                .take_while(|b| (b'0'..=b'7').contains(*b))
                .count()
        }
        Some(b'x') => {
            2 + input[2..]
                .iter()
                .take(2)
                .take_while(|b| b.is_ascii_hexdigit())
                .count()
        }
        Some(_) => 2,
    }
}

impl<'a> Lexer<'a> {
    /// A scanner at `start` (a token boundary, in the initial state),
    /// with room for the tokens of the rest of the input.
    fn new(input: &'a [u8], target: Target, start: usize) -> Self {
        Lexer {
            input,
            pos: start,
            in_string: false,
            in_dq: false,
            dq_end: 0,
            cr_is_space: target.new_grammar(),
            // Configurations average four to six bytes a token.
            tokens: Tokens::starting_at(start as u32, (input.len() - start) / 3 + 16),
            lex_errors: false,
        }
    }

    /// Scans tokens until one ends at or past `end`.
    fn run(&mut self, end: usize) {
        while self.pos < end {
            if self.in_dq {
                self.dq_token();
            } else {
                self.normal_token();
            }
        }
    }

    fn rest(&self) -> &[u8] {
        &self.input[self.pos..]
    }

    /// Pushes a token of `len` bytes that has no line break in it.
    fn push(&mut self, kind: TokenKind, len: usize) {
        self.push_text(kind, len, false);
    }

    /// Pushes a token of `len` bytes; `line_break`: its text has one
    /// (a [`TokenKind::Newline`] does not count).
    fn push_text(&mut self, kind: TokenKind, len: usize, line_break: bool) {
        debug_assert!(len > 0);
        debug_assert_eq!(
            line_break,
            kind != TokenKind::Newline && self.rest()[..len].contains(&b'\n'),
            "{kind:?}"
        );
        let joined = if kind.is_piece() {
            let joined = self.in_string;
            self.in_string = true;
            joined
        } else {
            if matches!(
                kind,
                TokenKind::Whitespace
                    | TokenKind::Newline
                    | TokenKind::BlockComment
                    | TokenKind::Semi
                    | TokenKind::Comma
                    | TokenKind::Eq
                    | TokenKind::PlusEq
                    | TokenKind::LBrace
                    | TokenKind::RBrace
            ) {
                self.in_string = false;
            }
            false
        };
        self.lex_errors |= kind.is_lex_error();
        self.pos += len;
        self.tokens.push(kind, joined, self.pos as u32, line_break);
    }

    fn normal_token(&mut self) {
        let rest = self.rest();
        let c = rest[0];
        let next = rest.get(1).copied();
        match c {
            b' ' | b'\t' | b'\r' if c != b'\r' || self.cr_is_space => {
                let len = space_run(self.cr_is_space)(rest).map_or(1, |(_, run)| run.len());
                self.push(TokenKind::Whitespace, len);
            }
            b'\n' => self.push(TokenKind::Newline, 1),
            b'#' => {
                let len = to_line_end(rest).map_or(1, |(_, run)| run.len());
                self.push(TokenKind::HashComment, len);
            }
            b'/' if next == Some(b'/') => {
                let len = to_line_end(rest).map_or(2, |(_, run)| run.len());
                self.push(TokenKind::SlashComment, len);
            }
            b'/' if next == Some(b'*') => {
                let (kind, len) = match find_comment_end(&rest[2..]) {
                    Some(end) => (TokenKind::BlockComment, end + 2),
                    None => (TokenKind::UnterminatedComment, rest.len()),
                };
                let line_break = memchr::memchr(b'\n', &rest[..len]).is_some();
                self.push_text(kind, len, line_break);
            }
            b'+' if next == Some(b'=') => self.push(TokenKind::PlusEq, 2),
            b';' => self.push(TokenKind::Semi, 1),
            b',' => self.push(TokenKind::Comma, 1),
            b'=' => self.push(TokenKind::Eq, 1),
            b'{' => self.push(TokenKind::LBrace, 1),
            b'}' => self.push(TokenKind::RBrace, 1),
            b'\\' => self.escape(),
            b'$' => self.dollar(false),
            b'*' | b'+' | b'/' => self.push(TokenKind::Special, 1),
            b'\'' => match closed_quote_len(rest, b'\'') {
                Some((len, line_break)) => self.push_text(TokenKind::SingleQuoted, len, line_break),
                None => {
                    let len = unterminated_len(rest, 1, b"'");
                    self.push(TokenKind::UnterminatedString, len);
                }
            },
            b'"' => match double_quoted_len(rest) {
                Some(DoubleQuoted {
                    len,
                    dollar: None,
                    line_break,
                }) => self.push_text(TokenKind::DoubleQuoted, len, line_break.is_some()),
                Some(DoubleQuoted {
                    len,
                    dollar: Some(dollar),
                    line_break,
                }) => {
                    self.dq_end = self.pos + len;
                    let line_break = line_break.is_some_and(|at| at < dollar);
                    self.push_text(TokenKind::DqHead, dollar, line_break);
                    self.in_dq = true;
                }
                None => {
                    let len = unterminated_len(rest, 1, b"\"");
                    self.push(TokenKind::UnterminatedString, len);
                }
            },
            _ if is_bare_byte(c) => {
                let len = bare_run(rest).map_or(1, |(_, run)| run.len());
                self.push(TokenKind::Bare, len);
            }
            _ => self.push(TokenKind::Stray, 1),
        }
    }

    /// A backslash escape in either state, or a lone `\` at the end of
    /// the input.
    fn escape(&mut self) {
        let rest = self.rest();
        let len = escape_len(rest);
        let kind = if len == 1 {
            TokenKind::Special
        } else {
            TokenKind::Escape
        };
        self.push_text(kind, len, rest.get(1) == Some(&b'\n'));
    }

    /// A `$` in either state: a variable reference, an unterminated `${`,
    /// or a lone `$` piece.
    fn dollar(&mut self, in_dq: bool) {
        let rest = self.rest();
        match rest.get(1) {
            Some(&b) if is_var_start(b) => {
                let len = 2 + rest[2..]
                    .iter()
                    .take_while(|&&b| is_var_continue(b))
                    .count();
                self.push(TokenKind::VarSimple, len);
            }
            Some(b'{') => match braced_var_len(rest, in_dq) {
                Ok((len, line_break)) => self.push_text(TokenKind::VarBraced, len, line_break),
                Err(len) => self.push(TokenKind::UnterminatedVariable, len),
            },
            _ => self.push(TokenKind::Special, 1),
        }
    }

    /// A token inside a double-quoted string after a variable.
    fn dq_token(&mut self) {
        let rest = self.rest();
        match rest[0] {
            b'"' => {
                self.push(TokenKind::DqClose, 1);
                self.in_dq = false;
            }
            b'$' => self.dollar(true),
            b'\\' => self.escape(),
            _ => {
                // The rest of the string up to the closing quote; jail(8)
                // stops again at the next `$`. Every token in the string
                // ends on the same escape boundaries as the scan that found
                // its closing quote, so that quote is the first unescaped
                // one from here too.
                let close = match self.dq_end.checked_sub(self.pos) {
                    Some(close) if close > 0 => Some(close),
                    _ => closed_quote_len_from(rest),
                };
                debug_assert_eq!(close, closed_quote_len_from(rest));
                let Some(close) = close else {
                    // Cannot happen for text that came from a closed string;
                    // fall back to the normal state as flex's catch-all does.
                    self.in_dq = false;
                    return;
                };
                match dq_text_end(&rest[..close - 1]) {
                    (Some(dollar), line_break) => {
                        self.push_text(TokenKind::DqText, dollar, line_break)
                    }
                    (None, line_break) => {
                        self.push_text(TokenKind::DqTail, close, line_break);
                        self.in_dq = false;
                    }
                }
            }
        }
    }
}

/// Length up to and including the first unescaped `"` in `input`.
fn closed_quote_len_from(input: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Offset just after the `*/` closing a block comment whose body starts at
/// `body[0]`.
fn find_comment_end(body: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(star) = body[from..].iter().position(|&b| b == b'*') {
        let at = from + star;
        if body.get(at + 1) == Some(&b'/') {
            return Some(at + 2);
        }
        from = at + 1;
    }
    None
}

/// The bytes a piece stands for, as jail(8)'s `text2lval` computes them:
/// quotes removed, escapes decoded, and cut at the first NUL byte (jail(8)
/// keeps pieces as C strings). Variable pieces give their variable name.
pub fn piece_value(kind: TokenKind, text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    piece_value_into(kind, text, &mut out);
    out
}

/// Like [`piece_value`], appending the bytes to `out`.
pub fn piece_value_into(kind: TokenKind, text: &[u8], out: &mut Vec<u8>) {
    let (trim_left, trim_right) = match kind {
        TokenKind::SingleQuoted | TokenKind::DoubleQuoted => (1, 1),
        TokenKind::DqHead => (1, 0),
        TokenKind::DqTail => (0, 1),
        TokenKind::VarSimple => (1, 0),
        TokenKind::VarBraced => (2, 1),
        _ => (0, 0),
    };
    let end = text
        .len()
        .saturating_sub(trim_right)
        .max(trim_left.min(text.len()));
    let body = &text[trim_left.min(text.len())..end];
    match kind {
        // Bare words and `$name` have neither backslashes nor NULs.
        TokenKind::Bare | TokenKind::VarSimple => out.extend_from_slice(body),
        _ => decode_escapes_into(body, out),
    }
}

/// Whether `text` contains a backslash or a NUL byte, looked for eight bytes
/// at a time.
fn has_backslash_or_nul(text: &[u8]) -> bool {
    let mut words = text.chunks_exact(8);
    for word in words.by_ref() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        if zero_bytes(word) | zero_bytes(word ^ splat(b'\\')) != 0 {
            return true;
        }
    }
    words.remainder().iter().any(|&b| b == b'\\' || b == 0)
}

/// Decodes backslash escapes the way jail(8) does, stopping at a NUL.
pub fn decode_escapes(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    decode_escapes_into(text, &mut out);
    out
}

/// Like [`decode_escapes`], appending the bytes to `out`.
pub fn decode_escapes_into(text: &[u8], out: &mut Vec<u8>) {
    // Most pieces have neither escapes nor NULs: copy those in one go.
    if !has_backslash_or_nul(text) {
        out.extend_from_slice(text);
        return;
    }
    let mut i = 0;
    while i < text.len() {
        let c = text[i];
        i += 1;
        let byte = if c != b'\\' {
            c
        } else {
            // A lone trailing backslash reads the string's terminator: NUL.
            let Some(&e) = text.get(i) else { break };
            i += 1;
            match e {
                b'0'..=b'7' => {
                    let mut value = u32::from(e - b'0');
                    for _ in 0..2 {
                        match text.get(i) {
                            Some(&d @ b'0'..=b'7') => {
                                value = value * 8 + u32::from(d - b'0');
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    (value & 0xff) as u8
                }
                b'a' => 0x07,
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                b'\n' => continue,
                b'x' => {
                    let mut value = 0u32;
                    for _ in 0..2 {
                        match text.get(i).and_then(|d| (*d as char).to_digit(16)) {
                            Some(d) => {
                                value = value * 16 + d;
                                i += 1;
                            }
                            None => break,
                        }
                    }
                    value as u8
                }
                other => other,
            }
        };
        if byte == 0 {
            break;
        }
        out.push(byte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_of_a_kind_include_joined_tokens() {
        let tokens = lex(b"a = $x$y 'q'\"s\"$z;\n$w = 1;", Target::V15);
        let by_pass = |kind| -> Vec<usize> {
            (tokens.kinds().enumerate())
                .filter(|&(_, k)| k == kind)
                .map(|(index, _)| index)
                .collect()
        };
        for kind in [
            TokenKind::VarSimple,
            TokenKind::SingleQuoted,
            TokenKind::Bare,
        ] {
            let found: Vec<usize> = tokens.indices_of(kind).collect();
            assert_eq!(found, by_pass(kind), "{kind:?}");
        }
        let variables: Vec<usize> = tokens.indices_of(TokenKind::VarSimple).collect();
        assert_eq!(variables.len(), 4);
        assert!(variables.iter().any(|&index| tokens.is_joined(index)));
        assert!(!tokens.is_joined(tokens.len()));
    }

    /// Lexing in two halves gives the tokens of one pass, at every line
    /// start: in the middle of multi-line strings, comments, variables,
    /// escaped line ends, CRLF lines and lexical errors too.
    /// [`Tokens::multi_line`] lists exactly the tokens, newlines aside,
    /// whose text has a line break.
    fn assert_multi_line_is_exact(input: &[u8], what: &str) {
        for target in [Target::V13, Target::V14, Target::V15] {
            let tokens = one_pass(input, target).0;
            let expected: Vec<u32> = (tokens.iter().enumerate())
                .filter(|(_, t)| t.kind != TokenKind::Newline && input[t.range()].contains(&b'\n'))
                .map(|(index, _)| index as u32)
                .collect();
            assert_eq!(tokens.multi_line(), expected, "{what}, {target}");
        }
    }

    #[test]
    fn multi_line_lists_the_tokens_with_line_breaks() {
        let input =
            b"a = 'x\ny';\nb = \"p\nq $v r\ns\" \"$w t\";\n/* c\n */ d = e\\\nf;\n${g\\\nh};\n";
        let tokens = lex(input, Target::V15);
        let listed: Vec<(TokenKind, &[u8])> = (tokens.multi_line().iter())
            .map(|&index| tokens.at(index as usize))
            .map(|token| (token.kind, &input[token.range()]))
            .collect();
        let expected: [(TokenKind, &[u8]); 6] = [
            (TokenKind::SingleQuoted, b"'x\ny'"),
            (TokenKind::DqHead, b"\"p\nq "),
            (TokenKind::DqTail, b" r\ns\""),
            (TokenKind::BlockComment, b"/* c\n */"),
            (TokenKind::Escape, b"\\\n"),
            (TokenKind::VarBraced, b"${g\\\nh}"),
        ];
        assert_eq!(listed, expected);
    }

    fn assert_split_lexing_is_exact(input: &[u8], what: &str) {
        for target in [Target::V13, Target::V14, Target::V15] {
            let whole = one_pass(input, target);
            let mut split = 0;
            while let Some(at) = line_start_after(input, split) {
                assert_eq!(
                    lex_split(input, target, at),
                    whole,
                    "{what}, {target}, at {at}"
                );
                split = at;
            }
        }
    }

    #[test]
    fn split_lexing_is_exact() {
        let inputs: [&[u8]; 10] = [
            b"a = \"x $x b\n$y c\n\";\n",
            b"a {\n  b = \"one\ntwo $x\nthree ${y\n}\";\n  c;\n}\n",
            b"/* a\nblock */ x = 1;\n// line\n# hash \"quote\n y = 'multi\nline';\n",
            b"p = a\\\nb;\nq = \"\\\n\";\r\nr = x\r\n\r\n",
            b"\"unterminated\n${oops\n/* open\n",
            b"s = \xff\xfe;\nt = '\x80\n';\nu = \"$a$b\"c\nd;\n",
            b"\n\n\n",
            b"v = \"$\n\"; w = ${\nx};\n",
            b"x = \"a\"\"b\"\n'c'd\n$e\n",
            b"no newline at the end",
        ];
        for (index, input) in inputs.iter().enumerate() {
            assert_split_lexing_is_exact(input, &format!("input {index}"));
            assert_multi_line_is_exact(input, &format!("input {index}"));
        }
    }

    proptest::proptest! {
        /// [`split_lexing_is_exact`] and [`assert_multi_line_is_exact`] on
        /// text made of the bytes that open, close and escape strings,
        /// comments and variables.
        #[test]
        fn split_lexing_is_exact_on_generated_text(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"\"'$\\{}\n\r/*#;= a.\xc3".to_vec()),
                0..200,
            )
        ) {
            assert_split_lexing_is_exact(&bytes, "generated");
            assert_multi_line_is_exact(&bytes, "generated");
        }
    }

    /// [`split_lexing_is_exact`] and [`assert_multi_line_is_exact`] on
    /// every file of the shared corpus and the specification's examples.
    #[test]
    fn split_lexing_is_exact_on_the_corpus() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared");
        let mut files = 0;
        let mut pending = vec![shared.join("corpus"), shared.join("spec/examples")];
        while let Some(dir) = pending.pop() {
            let entries = std::fs::read_dir(&dir).expect("the shared corpus beside the repository");
            for entry in entries {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else if path.extension().is_some_and(|e| e == "conf") {
                    let text = std::fs::read(&path).expect("a corpus file");
                    assert_split_lexing_is_exact(&text, &path.display().to_string());
                    assert_multi_line_is_exact(&text, &path.display().to_string());
                    files += 1;
                }
            }
        }
        assert!(files > 400, "{files} corpus files");
    }

    fn kinds(input: &str) -> Vec<(TokenKind, bool, String)> {
        lex(input.as_bytes(), Target::V15)
            .iter()
            .map(|t| {
                let text = String::from_utf8_lossy(&input.as_bytes()[t.range()]).into_owned();
                (t.kind, t.joined, text)
            })
            .collect()
    }

    fn texts(input: &str) -> Vec<String> {
        kinds(input).into_iter().map(|(_, _, t)| t).collect()
    }

    #[test]
    fn lossless_on_every_byte() {
        let inputs: [&[u8]; 6] = [
            b"a { b = \"c$d e\"; }\r\n",
            b"x = '\xff' /* \xfe */ # \x80\n",
            b"\"unterminated\n${oops\n/* open",
            b"\\",
            b"$",
            b"\"$a\"\"$b",
        ];
        for input in inputs {
            for target in Target::ALL {
                let tokens = lex(input, target);
                let mut rebuilt = Vec::new();
                for t in &tokens {
                    rebuilt.extend_from_slice(&input[t.range()]);
                }
                assert_eq!(rebuilt, input);
            }
        }
    }

    #[test]
    fn tokens_end_where_the_next_starts() {
        let input = b"a = \"b$c\";";
        let tokens = lex(input, Target::V15);
        let all: Vec<Token> = tokens.iter().collect();
        assert_eq!(all.len(), tokens.len());
        assert_eq!(all.first().map(|t| t.start), Some(0));
        assert_eq!(tokens.last().map(|t| t.end), Some(input.len() as u32));
        for pair in all.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        let backwards: Vec<Token> = tokens.range(1..4).rev().collect();
        assert_eq!(backwards, [all[3], all[2], all[1]]);
        assert_eq!(tokens.kind(2), Some(all[2].kind));
        assert!(
            all.iter().any(|t| t.joined),
            "the variable continues the string"
        );
        assert_eq!(tokens.get(all.len()), None);
        let empty = lex(b"", Target::V15);
        assert!(empty.is_empty() && empty.get(0).is_none() && empty.last().is_none());
    }

    #[test]
    fn comment_starts_inside_unquoted_word() {
        assert_eq!(
            texts("path = /a//b;"),
            ["path", " ", "=", " ", "/", "a", "//b;"]
        );
        assert_eq!(texts("a#b"), ["a", "#b"]);
    }

    #[test]
    fn pieces_join_when_adjacent() {
        let tokens = kinds("/jails/\"my jail\"'/x'$name x");
        let joined: Vec<bool> = tokens
            .iter()
            .filter(|t| t.0.is_piece())
            .map(|t| t.1)
            .collect();
        assert_eq!(joined, [false, true, true, true, true, true, false]);
    }

    #[test]
    fn double_quoted_string_with_variable_is_split() {
        let tokens = kinds("\"a$b c\"-x");
        let got: Vec<(TokenKind, bool)> = tokens.iter().map(|t| (t.0, t.1)).collect();
        assert_eq!(
            got,
            [
                (TokenKind::DqHead, false),
                (TokenKind::VarSimple, true),
                (TokenKind::DqTail, true),
                (TokenKind::Bare, true),
            ]
        );
        assert_eq!(texts("\"${x}\""), ["\"", "${x}", "\""]);
        assert_eq!(texts("\"cost $5\""), ["\"cost ", "$", "5\""]);
    }

    #[test]
    fn plus_equals_is_longest_match() {
        assert_eq!(texts("a+=b"), ["a", "+=", "b"]);
        assert_eq!(texts("a+b"), ["a", "+", "b"]);
    }

    #[test]
    fn carriage_return_depends_on_target() {
        assert_eq!(lex(b"\r", Target::V15).at(0).kind, TokenKind::Whitespace);
        assert_eq!(lex(b"\r", Target::V13).at(0).kind, TokenKind::Stray);
    }

    #[test]
    fn unterminated_constructs() {
        assert_eq!(kinds("'abc\ndef")[0].0, TokenKind::UnterminatedString);
        assert_eq!(kinds("'abc\ndef")[0].2, "'abc");
        assert_eq!(kinds("${abc\n")[0].0, TokenKind::UnterminatedVariable);
        assert_eq!(kinds("x /* abc")[2].0, TokenKind::UnterminatedComment);
        // A quote that closes much later swallows everything up to it.
        assert_eq!(kinds("a = \"b;\nc = \"d\";")[4].2, "\"b;\nc = \"");
    }

    #[test]
    fn escapes_decode_like_jail() {
        assert_eq!(decode_escapes(br"\1234"), b"S4");
        assert_eq!(decode_escapes(br"\x41\x4a"), b"AJ");
        assert_eq!(decode_escapes(br"a\ b\tc"), b"a b\tc");
        assert_eq!(decode_escapes(b"a\\\nb"), b"ab");
        // Inside one piece the NUL from `\x` ends the piece; unquoted,
        // `ab\xZcd` is three pieces (`ab`, `\x`, `Zcd`) and keeps `Zcd`.
        assert_eq!(decode_escapes(br"ab\xZcd"), b"ab");
        assert_eq!(texts(r"ab\xZcd"), ["ab", r"\x", "Zcd"]);
        assert_eq!(decode_escapes(br"p\0q"), b"p");
        assert_eq!(decode_escapes(br"\777"), [0xff]);
        assert_eq!(piece_value(TokenKind::Escape, br"\x"), b"");
        assert_eq!(piece_value(TokenKind::SingleQuoted, br"'$x\''"), b"$x'");
        assert_eq!(piece_value(TokenKind::VarBraced, br"${a\}b}"), b"a}b");
    }

    #[test]
    fn find_any_matches_a_byte_loop() {
        let input = b"0123456789abcdef\"$0123456789\\x$\"";
        for from in 0..=input.len() {
            for targets in [
                [b'"', b'\\', b'$'],
                [b'$', b'\\', b'\\'],
                [b'x', b'x', b'x'],
            ] {
                let expected = (from..input.len())
                    .find(|&i| targets.contains(&input[i]))
                    .unwrap_or(input.len());
                assert_eq!(find_any(input, from, targets), expected);
            }
        }
    }

    #[test]
    fn stray_bytes() {
        assert_eq!(kinds("\u{0c}")[0].0, TokenKind::Stray);
        assert_eq!(lex(b"\xc3", Target::V15).at(0).kind, TokenKind::Stray);
    }
}
