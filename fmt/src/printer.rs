//! The printer: walks the syntax tree block by block (with an explicit
//! stack, so deep nesting cannot overflow the call stack) and writes the
//! canonical layout.
//!
//! Each block body (and the file) is first split into *entries*: a
//! statement or block with the comments attached to it, or a line of
//! comments of its own. A comment is attached as
//!
//! * *trailing* when it is on the same line as the end of the previous
//!   item (or the block's `{`): it stays at the end of that line;
//! * *leading* when a line starts with it and an item follows on the same
//!   line (`/* note */ persist;`): it stays in front of the item;
//! * otherwise it forms an own-line entry.
//!
//! Comments between the tokens of a statement or block header are
//! printed between the same tokens.

use std::ops::Range;

use jailconf_parser::lexer::{TokenKind, Tokens};
use jailconf_parser::settings::Indent;
use jailconf_parser::syntax::{NodeId, NodeKind, SyntaxTree};

use crate::{FormatOptions, LineEnding, TAB_WIDTH};

/// Where an entry of the output came from and went to (for range
/// formatting).
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// Source bytes: the first leading comment (or the item) to the last
    /// trailing comment (or the item's end).
    pub(crate) src: Range<usize>,
    /// Output bytes: the start of the entry's first line (before the
    /// indentation) to the end of its last trailing comment.
    pub(crate) out: Range<usize>,
    /// The record of the enclosing block.
    pub(crate) parent: Option<usize>,
    /// For a block: the source bytes between `{` and `}`.
    pub(crate) body: Option<Range<usize>>,
}

/// Formats `tree`; with `record`, also returns where every entry went.
/// With `has_errors`, statements and blocks containing `Error` nodes are
/// printed as they are.
pub(crate) fn print(
    tree: &SyntaxTree,
    options: &FormatOptions,
    has_errors: bool,
    record: bool,
) -> (Vec<u8>, Vec<Record>) {
    let text = tree.text();
    let out = Vec::with_capacity(text.len() + text.len() / 8 + 16);
    let mut printer = Printer::new(tree, options, out, record);
    printer.has_errors = has_errors;
    printer.run();
    debug_assert_eq!(
        printer.comments_printed,
        tree.tokens().iter().filter(|t| t.kind.is_comment()).count(),
        "every comment is printed exactly once"
    );
    (printer.out, printer.records)
}

/// A token range `(start, end)` of comments (other tokens in it are
/// skipped when printing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Comments(u32, u32);

impl Comments {
    fn is_empty(self) -> bool {
        self.0 == self.1
    }

    fn extend(&mut self, token: usize) {
        if self.is_empty() {
            self.0 = token as u32;
        }
        self.1 = token as u32 + 1;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    /// A line of comments only (in `Entry::lead`).
    Comments,
    /// A statement or `.include`.
    Statement(NodeId),
    /// A jail block.
    Block(NodeId),
    /// Tokens printed as they are (only in trees with syntax errors).
    Verbatim(u32, u32),
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    kind: EntryKind,
    /// A blank line precedes the entry.
    blank_before: bool,
    /// Own-line comments (for `Comments`) or comments in front of the item
    /// on its line.
    lead: Comments,
    /// Comments after the item on its last line.
    trail: Comments,
    /// For a plain assignment: the width of its name (see
    /// `Printer::name_width`); `NOT_ALIGNABLE` otherwise.
    name_width: u32,
    /// Width the name is padded to (alignment); 0 for none.
    pad_to: u32,
}

/// `Entry::name_width` of statements that do not take part in alignment.
const NOT_ALIGNABLE: u32 = u32::MAX;

impl Entry {
    fn new(kind: EntryKind, blank_before: bool, lead: Comments) -> Self {
        Entry {
            kind,
            blank_before,
            lead,
            trail: Comments::default(),
            name_width: NOT_ALIGNABLE,
            pad_to: 0,
        }
    }
}

/// A block body being printed.
struct Frame {
    entries: Vec<Entry>,
    next: usize,
    level: usize,
    /// This block's record, when recording.
    record: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AtomKind {
    /// A name or value: adjacent pieces, printed as written.
    Word,
    /// `=` or `+=`.
    Op,
    Comma,
    Semi,
    LBrace,
    BlockComment,
    LineComment,
}

/// One printable unit of a statement or block header.
#[derive(Clone, Copy, Debug)]
struct Atom {
    kind: AtomKind,
    start: u32,
    end: u32,
}

struct Printer<'a> {
    tree: &'a SyntaxTree,
    text: &'a [u8],
    tokens: &'a Tokens,
    out: Vec<u8>,
    /// Column of the output position.
    col: usize,
    unit: &'static [u8],
    unit_cols: usize,
    align: bool,
    max_width: usize,
    newline: &'static [u8],
    atoms: Vec<Atom>,
    /// Indentation for a few levels, to write in one piece.
    indents: Vec<u8>,
    /// Entry vectors of finished frames, for reuse.
    pool: Vec<Vec<Entry>>,
    /// The tree has `Error` nodes: keep the items holding them as they are.
    has_errors: bool,
    /// Comments written so far (checked in debug builds).
    comments_printed: usize,
    recording: bool,
    records: Vec<Record>,
}

const SPACES: &[u8; 16] = b"                ";

/// Display width of `bytes` on one line: characters, counting every byte
/// that is not a UTF-8 continuation byte.
fn width(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        bytes.len()
    } else {
        bytes.iter().filter(|&&b| b & 0xc0 != 0x80).count()
    }
}

/// A `#`/`//` comment without trailing blanks (and the CR of a CRLF line).
fn trim_line_comment(text: &[u8]) -> &[u8] {
    let end = text
        .iter()
        .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
        .map_or(0, |i| i + 1);
    &text[..end]
}

fn is_line_comment(kind: TokenKind) -> bool {
    matches!(kind, TokenKind::HashComment | TokenKind::SlashComment)
}

impl<'a> Printer<'a> {
    fn new(tree: &'a SyntaxTree, options: &FormatOptions, out: Vec<u8>, recording: bool) -> Self {
        let (unit, unit_cols): (&'static [u8], usize) = match options.indent {
            Indent::Tab => (b"\t", TAB_WIDTH),
            Indent::Spaces(n) => {
                let n = usize::from(n).min(SPACES.len());
                (&SPACES[..n], n)
            }
        };
        let newline = options
            .line_ending
            .unwrap_or_else(|| LineEnding::of_tokens(tree.text(), tree.tokens()))
            .as_bytes();
        Printer {
            tree,
            text: tree.text(),
            tokens: tree.tokens(),
            out,
            col: 0,
            unit,
            unit_cols,
            align: options.align,
            max_width: options.max_width,
            newline,
            atoms: Vec::new(),
            indents: unit.repeat(16),
            pool: Vec::new(),
            has_errors: false,
            comments_printed: 0,
            recording,
            records: Vec::new(),
        }
    }

    // ----- output primitives ---------------------------------------------

    fn put(&mut self, bytes: &[u8]) {
        self.out.extend_from_slice(bytes);
        self.col = advance(self.col, bytes).0;
    }

    fn newline(&mut self) {
        self.out.extend_from_slice(self.newline);
        self.col = 0;
    }

    fn indent(&mut self, level: usize) {
        write_indent(&mut self.out, &self.indents, self.unit, level);
        self.col = level * self.unit_cols;
    }

    fn token_text(&self, index: usize) -> &'a [u8] {
        let token = self.tokens.at(index);
        let text = &self.text[token.range()];
        if is_line_comment(token.kind) {
            trim_line_comment(text)
        } else {
            text
        }
    }

    /// Writes the comments of `range` separated by single spaces.
    fn comments(&mut self, range: Comments) {
        let mut first = true;
        for t in range.0 as usize..range.1 as usize {
            if !self.tokens.at(t).kind.is_comment() {
                continue;
            }
            if !first {
                self.put(b" ");
            }
            first = false;
            let text = self.token_text(t);
            self.put(text);
            self.comments_printed += 1;
        }
    }

    /// Writes the tokens `range` as they are.
    fn verbatim(&mut self, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let tokens = self.tokens.range(range.clone());
        self.comments_printed += tokens.filter(|t| t.kind.is_comment()).count();
        let bytes =
            self.tokens.at(range.start).start as usize..self.tokens.at(range.end - 1).end as usize;
        let text = &self.text[bytes];
        self.put(text);
    }

    // ----- the walk -----------------------------------------------------

    fn run(&mut self) {
        let root = self.tree.root();
        let all = self.tree.token_range(root);
        let entries = self.collect(root, all, false).0;
        let mut stack = vec![Frame {
            entries,
            next: 0,
            level: 0,
            record: None,
        }];
        while let Some(frame) = stack.last_mut() {
            let level = frame.level;
            let parent = frame.record;
            let Some(&entry) = frame.entries.get(frame.next) else {
                let mut done = stack.pop().expect("frame exists");
                done.entries.clear();
                self.pool.push(std::mem::take(&mut done.entries));
                if let Some(parent_frame) = stack.last() {
                    // Close the block whose body this was.
                    let entry = parent_frame.entries[parent_frame.next - 1];
                    self.indent(parent_frame.level);
                    self.put(b"}");
                    self.trail(entry.trail);
                    if let Some(record) = done.record {
                        self.records[record].out.end = self.out.len();
                    }
                    self.newline();
                }
                continue;
            };
            let first = frame.next == 0;
            frame.next += 1;
            if entry.blank_before && !first {
                self.newline();
            }
            let out_start = self.out.len();
            let record = self.start_record(&entry, out_start, parent);
            self.indent(level);
            if !entry.lead.is_empty() {
                self.comments(entry.lead);
                if entry.kind != EntryKind::Comments {
                    self.put(b" ");
                }
            }
            match entry.kind {
                EntryKind::Comments => {}
                EntryKind::Statement(node) => {
                    let pad = entry.pad_to.saturating_sub(entry.name_width) as usize;
                    self.statement(node, level, pad)
                }
                EntryKind::Verbatim(start, end) => self.verbatim(start as usize..end as usize),
                EntryKind::Block(node) => {
                    if let Some(frame) = self.block(node, level, record) {
                        stack.push(frame);
                        continue;
                    }
                }
            }
            self.trail(entry.trail);
            if let Some(record) = record {
                self.records[record].out.end = self.out.len();
            }
            self.newline();
        }
    }

    /// Writes trailing comments after a space.
    fn trail(&mut self, trail: Comments) {
        if !trail.is_empty() {
            self.put(b" ");
            self.comments(trail);
        }
    }

    fn start_record(
        &mut self,
        entry: &Entry,
        out_start: usize,
        parent: Option<usize>,
    ) -> Option<usize> {
        if !self.recording {
            return None;
        }
        let tokens = self.tokens;
        let (item_start, item_end, body) = match entry.kind {
            EntryKind::Comments => (None, None, None),
            EntryKind::Statement(node) | EntryKind::Block(node) => {
                let range = self.tree.byte_range(node);
                let body = match entry.kind {
                    EntryKind::Block(node) => self.block_braces(node).map(|(_, lbrace, rbrace)| {
                        tokens.at(lbrace).end as usize..tokens.at(rbrace).start as usize
                    }),
                    _ => None,
                };
                (Some(range.start), Some(range.end), body)
            }
            EntryKind::Verbatim(start, end) => (
                Some(tokens.at(start as usize).start as usize),
                Some(tokens.at(end as usize - 1).end as usize),
                None,
            ),
        };
        let lead_start =
            (!entry.lead.is_empty()).then(|| tokens.at(entry.lead.0 as usize).start as usize);
        let lead_end =
            (!entry.lead.is_empty()).then(|| tokens.at(entry.lead.1 as usize - 1).end as usize);
        let trail_end =
            (!entry.trail.is_empty()).then(|| tokens.at(entry.trail.1 as usize - 1).end as usize);
        let start = lead_start.or(item_start).unwrap_or(0);
        let end = trail_end.or(item_end).or(lead_end).unwrap_or(start);
        self.records.push(Record {
            src: start..end,
            out: out_start..out_start,
            parent,
            body,
        });
        Some(self.records.len() - 1)
    }

    /// A block's name node, `{` token and `}` token, when it is whole.
    fn block_braces(&self, node: NodeId) -> Option<(NodeId, usize, usize)> {
        let range = self.tree.token_range(node);
        let name = self.tree.child_node(node, NodeKind::JailName)?;
        let mut lbrace = self.tree.token_range(name).end;
        while lbrace < range.end && !self.tokens.at(lbrace).kind.is_significant() {
            lbrace += 1;
        }
        if lbrace >= range.end || self.tokens.at(lbrace).kind != TokenKind::LBrace {
            return None;
        }
        let rbrace = range.end - 1;
        if rbrace <= lbrace || self.tokens.at(rbrace).kind != TokenKind::RBrace {
            return None;
        }
        Some((name, lbrace, rbrace))
    }

    /// Writes a block's header line and returns the frame of its body; a
    /// broken block (only in trees with errors) is written as it is.
    fn block(&mut self, node: NodeId, level: usize, record: Option<usize>) -> Option<Frame> {
        let braces = self
            .block_braces(node)
            .filter(|&(name, _, _)| !(self.has_errors && self.contains_error(name)));
        let Some((name, lbrace, rbrace)) = braces else {
            self.verbatim(self.tree.token_range(node));
            return None;
        };
        let (entries, header_trail) = self.collect(node, lbrace + 1..rbrace, true);
        let header = self.tree.token_range(name).start..lbrace + 1;
        self.collect_atoms(header);
        self.emit(level, 0, false);
        self.trail(header_trail);
        self.newline();
        Some(Frame {
            entries,
            next: 0,
            level: level + 1,
            record,
        })
    }

    /// Splits the body tokens `body` of `container` into entries, and
    /// returns them with the comments trailing the block's `{`.
    fn collect(
        &mut self,
        container: NodeId,
        body: Range<usize>,
        in_block: bool,
    ) -> (Vec<Entry>, Comments) {
        let tree = self.tree;
        let tokens = self.tokens;
        let mut entries = self.pool.pop().unwrap_or_default();
        let mut header_trail = Comments::default();
        // Comments now go at the end of the previous item's line.
        let mut same_line = in_block;
        // Nothing but whitespace so far on the current line.
        let mut line_empty = !in_block;
        // A blank line since the last entry.
        let mut blank = false;
        // Own-line comments not yet placed: range and blank-before.
        let mut group: Option<(Comments, bool)> = None;
        let mut children = tree.child_nodes(container);
        let mut t = body.start;
        loop {
            // The next child node inside the body, if any.
            let next = loop {
                match children.next() {
                    Some(child) => {
                        let range = tree.token_range(child);
                        if range.start >= body.start && !range.is_empty() {
                            break (range.start < body.end).then_some((child, range));
                        }
                    }
                    None => break None,
                }
            };
            let gap_end = next.as_ref().map_or(body.end, |(_, range)| range.start);
            // The tokens before it: whitespace, comments (and, in trees
            // with errors, stray tokens).
            while t < gap_end {
                let kind = tokens.at(t).kind;
                match kind {
                    TokenKind::Whitespace => {}
                    TokenKind::Newline => {
                        if let Some((lead, blank_before)) = group.take() {
                            entries.push(Entry::new(EntryKind::Comments, blank_before, lead));
                        }
                        blank |= line_empty;
                        line_empty = true;
                        same_line = false;
                    }
                    _ if kind.is_comment() => {
                        if same_line && (in_block || !entries.is_empty()) {
                            match entries.last_mut() {
                                Some(last) => last.trail.extend(t),
                                None => header_trail.extend(t),
                            }
                        } else if let Some((lead, _)) = &mut group {
                            lead.extend(t);
                        } else {
                            let mut lead = Comments::default();
                            lead.extend(t);
                            group = Some((lead, blank && !entries.is_empty()));
                            blank = false;
                        }
                        line_empty = false;
                    }
                    _ => {
                        // A token the grammar does not allow here (trees
                        // with errors only): keep it as it is.
                        let (lead, blank_before) = group
                            .take()
                            .unwrap_or((Comments::default(), blank && !entries.is_empty()));
                        let kind = EntryKind::Verbatim(t as u32, t as u32 + 1);
                        entries.push(Entry::new(kind, blank_before, lead));
                        same_line = true;
                        blank = false;
                        line_empty = false;
                    }
                }
                t += 1;
            }
            let Some((child, range)) = next else { break };
            let verbatim = EntryKind::Verbatim(range.start as u32, range.end as u32);
            let kind = match tree.kind(child) {
                NodeKind::EmptyStatement => None,
                NodeKind::Statement | NodeKind::Include
                    if self.has_errors && self.contains_error(child) =>
                {
                    Some(verbatim)
                }
                NodeKind::Statement | NodeKind::Include => Some(EntryKind::Statement(child)),
                NodeKind::JailBlock => Some(EntryKind::Block(child)),
                _ => Some(verbatim),
            };
            if let Some(kind) = kind {
                let (lead, blank_before) = group
                    .take()
                    .unwrap_or((Comments::default(), blank && !entries.is_empty()));
                let mut entry = Entry::new(kind, blank_before, lead);
                if let EntryKind::Statement(_) = kind {
                    if lead.is_empty() {
                        entry.name_width = self.name_width(range.clone());
                    }
                }
                entries.push(entry);
                same_line = true;
                blank = false;
            }
            line_empty = false;
            t = range.end;
        }
        if let Some((lead, blank_before)) = group {
            entries.push(Entry::new(EntryKind::Comments, blank_before, lead));
        }
        separate_blocks(&mut entries);
        if self.align {
            align_runs(&mut entries);
        }
        (entries, header_trail)
    }

    /// Whether `node`'s subtree has an `Error` node.
    fn contains_error(&self, node: NodeId) -> bool {
        self.tree
            .descendants(node)
            .any(|n| self.tree.kind(n) == NodeKind::Error)
    }

    /// For a plain assignment (a name, `=` or `+=`, no comment before the
    /// operator; the statement's tokens are `range`): the name's width.
    /// `NOT_ALIGNABLE` for other statements, which end a run.
    fn name_width(&self, range: Range<usize>) -> u32 {
        let tokens = self.tokens;
        let name = tokens.at(range.start);
        let mut t = tokens.string_end(range.start + 1, range.end);
        let end = tokens.at(t - 1).end;
        while t < range.end {
            match tokens.at(t).kind {
                TokenKind::Whitespace | TokenKind::Newline => t += 1,
                TokenKind::Eq | TokenKind::PlusEq => {
                    let text = &self.text[name.start as usize..end as usize];
                    if text.contains(&b'\n') {
                        return NOT_ALIGNABLE;
                    }
                    return u32::try_from(width(text)).unwrap_or(NOT_ALIGNABLE);
                }
                _ => return NOT_ALIGNABLE,
            }
        }
        NOT_ALIGNABLE
    }

    // ----- statements ---------------------------------------------------

    /// Splits tokens into atoms: adjacent pieces become one word.
    fn collect_atoms(&mut self, range: Range<usize>) {
        self.atoms.clear();
        let tokens = self.tokens;
        let mut t = range.start;
        while t < range.end {
            let token = tokens.at(t);
            let kind = match token.kind {
                TokenKind::Whitespace | TokenKind::Newline => {
                    t += 1;
                    continue;
                }
                TokenKind::Eq | TokenKind::PlusEq => AtomKind::Op,
                TokenKind::Comma => AtomKind::Comma,
                TokenKind::Semi => AtomKind::Semi,
                TokenKind::LBrace => AtomKind::LBrace,
                // An unterminated comment (trees with errors only) runs to
                // the end of the file: kept as it is.
                TokenKind::BlockComment | TokenKind::UnterminatedComment => AtomKind::BlockComment,
                TokenKind::HashComment | TokenKind::SlashComment => {
                    let text = trim_line_comment(&self.text[token.range()]);
                    self.atoms.push(Atom {
                        kind: AtomKind::LineComment,
                        start: token.start,
                        end: token.start + text.len() as u32,
                    });
                    t += 1;
                    continue;
                }
                _ => {
                    // A piece and the pieces joined to it (anything else
                    // only occurs in trees with errors; kept as it is).
                    t = tokens.string_end(t + 1, range.end);
                    let end = tokens.at(t - 1).end;
                    self.atoms.push(Atom {
                        kind: AtomKind::Word,
                        start: token.start,
                        end,
                    });
                    continue;
                }
            };
            self.atoms.push(Atom {
                kind,
                start: token.start,
                end: token.end,
            });
            t += 1;
        }
    }

    /// Writes a statement; `pad` extra spaces go before its operator.
    fn statement(&mut self, node: NodeId, level: usize, pad: usize) {
        let range = self.tree.token_range(node);
        self.collect_atoms(range);
        let words = self
            .atoms
            .iter()
            .filter(|a| a.kind == AtomKind::Word)
            .count();
        let wrap = words > 2 && self.measure(level, pad) > self.max_width;
        self.emit(level, pad, wrap);
    }

    /// How many spaces go before the atom `i` when it does not start a
    /// line.
    fn spaces_before(&self, i: usize, pad: usize) -> usize {
        match self.atoms[i].kind {
            AtomKind::Comma | AtomKind::Semi => 0,
            AtomKind::Op => 1 + pad,
            _ => 1,
        }
    }

    /// Whether the atom `i` starts a new line: after a line comment, and
    /// with `wrap` for every value.
    fn breaks_before(&self, i: usize, wrap: bool, words: usize) -> bool {
        i > 0
            && (self.atoms[i - 1].kind == AtomKind::LineComment
                || (wrap && words > 0 && self.atoms[i].kind == AtomKind::Word))
    }

    /// The widest line of the atoms laid out from the current column
    /// without wrapping.
    fn measure(&self, level: usize, pad: usize) -> usize {
        let cont_col = (level + 1) * self.unit_cols;
        let mut col = self.col;
        let mut widest = col;
        for i in 0..self.atoms.len() {
            let atom = self.atoms[i];
            if self.breaks_before(i, false, 0) {
                widest = widest.max(col);
                col = cont_col;
            } else if i > 0 {
                col += self.spaces_before(i, pad);
            }
            let text = &self.text[atom.start as usize..atom.end as usize];
            let (end, line_widest) = advance(col, text);
            widest = widest.max(line_widest);
            col = end;
        }
        widest
    }

    /// Writes the atoms: single spaces between them, none before `,` and
    /// `;`, `pad` more before the operator, a line break (one level
    /// deeper) after a line comment and, with `wrap`, before every value.
    fn emit(&mut self, level: usize, pad: usize, wrap: bool) {
        let mut words = 0;
        for i in 0..self.atoms.len() {
            let atom = self.atoms[i];
            if self.breaks_before(i, wrap, words) {
                self.out.extend_from_slice(self.newline);
                write_indent(&mut self.out, &self.indents, self.unit, level + 1);
            } else if i > 0 {
                let n = self.spaces_before(i, pad);
                write_spaces(&mut self.out, n);
            }
            self.out
                .extend_from_slice(&self.text[atom.start as usize..atom.end as usize]);
            match atom.kind {
                AtomKind::Word => words += 1,
                AtomKind::LineComment | AtomKind::BlockComment => self.comments_printed += 1,
                _ => {}
            }
        }
    }
}

/// Writes `level` levels of indentation.
fn write_indent(out: &mut Vec<u8>, indents: &[u8], unit: &[u8], level: usize) {
    let total = level * unit.len();
    if total <= indents.len() {
        out.extend_from_slice(&indents[..total]);
    } else {
        for _ in 0..level {
            out.extend_from_slice(unit);
        }
    }
}

fn write_spaces(out: &mut Vec<u8>, n: usize) {
    let mut left = n;
    while left > 0 {
        let take = left.min(SPACES.len());
        out.extend_from_slice(&SPACES[..take]);
        left -= take;
    }
}

/// Puts a blank line between two jail blocks (before the comments that
/// lead to the second, if any) unless there already is one.
fn separate_blocks(entries: &mut [Entry]) {
    let mut previous_block: Option<usize> = None;
    for i in 0..entries.len() {
        match entries[i].kind {
            EntryKind::Comments => {}
            EntryKind::Block(_) => {
                if let Some(p) = previous_block {
                    if !entries[p + 1..=i].iter().any(|e| e.blank_before) {
                        entries[p + 1].blank_before = true;
                    }
                }
                previous_block = Some(i);
            }
            _ => previous_block = None,
        }
    }
}

/// Sets `pad_to` for the plain assignments of each run: consecutive
/// entries without a blank line between them, comment lines allowed.
fn align_runs(entries: &mut [Entry]) {
    let mut start = 0;
    while start < entries.len() {
        if entries[start].name_width == NOT_ALIGNABLE {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        let mut widest = entries[start].name_width;
        let mut members = 1;
        while let Some(entry) = entries.get(end) {
            if entry.blank_before {
                break;
            }
            match entry.kind {
                EntryKind::Comments => {}
                EntryKind::Statement(_) if entry.name_width != NOT_ALIGNABLE => {
                    widest = widest.max(entry.name_width);
                    members += 1;
                }
                _ => break,
            }
            end += 1;
        }
        if members > 1 {
            for entry in &mut entries[start..end] {
                if entry.name_width != NOT_ALIGNABLE {
                    entry.pad_to = widest;
                }
            }
        }
        start = end;
    }
}

/// The column after writing `text` at `col`, and the widest line touched.
fn advance(col: usize, text: &[u8]) -> (usize, usize) {
    match text.iter().rposition(|&b| b == b'\n') {
        None => {
            let end = col + width(text);
            (end, end)
        }
        Some(last) => {
            let mut widest = 0;
            let mut line_col = col;
            for line in text[..last].split(|&b| b == b'\n') {
                widest = widest.max(line_col + width(line));
                line_col = 0;
            }
            let end = width(&text[last + 1..]);
            (end, widest.max(end))
        }
    }
}
