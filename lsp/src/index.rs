//! A semantic index over the syntax trees of one configuration: records
//! (jail blocks, wildcard blocks and global sections) with their
//! statements, every variable reference and every block, in jail(8)'s
//! record order. Built once per analysis; navigation, hover and completion
//! query it without parsing again.
//!
//! The walk mirrors the model's first stage (`jailconf_parser::model`):
//! files in `.include` order, a global section per top-level file (per run
//! of top-level statements on FreeBSD 13), nested block names joined with
//! dots on 14.0+.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use jailconf_parser::lexer::{piece_value, TokenKind};
use jailconf_parser::model::{block_name, is_wildcard_name};
use jailconf_parser::source::{FileId, Span};
use jailconf_parser::syntax::{NodeId, NodeKind, SyntaxTree};
use jailconf_parser::Config;

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// A real jail (`config.jails[n]`, when it could be matched).
    Jail(Option<usize>),
    /// A wildcard block such as `*` or `web.*`.
    Wildcard,
    /// Top-level statements.
    Global,
}

/// A jail block, wildcard block or global section.
#[derive(Clone, Debug)]
pub struct Record {
    /// The top-level file's unit (one per root of the configuration).
    pub unit: usize,
    /// The full name (`*` for the global section).
    pub name: Vec<u8>,
    /// What it is.
    pub kind: RecordKind,
    /// The block's name piece (`None` for the global section).
    pub name_span: Option<Span>,
    /// The enclosing block's record, for nested blocks (14.0+).
    pub parent: Option<usize>,
    /// Its statements in order (indexes into [`Index::statements`]).
    pub statements: Vec<usize>,
}

impl Record {
    /// The name as text.
    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// One piece of a value: literal text or a variable reference.
#[derive(Clone, Debug)]
pub enum Piece {
    /// Literal bytes (quotes removed, escapes decoded).
    Text(Vec<u8>),
    /// A reference (index into [`Index::var_refs`]).
    Var(usize),
}

/// One value of a statement as written.
#[derive(Clone, Debug)]
pub struct ValueSite {
    /// The whole value.
    pub span: Span,
    /// Its pieces.
    pub pieces: Vec<Piece>,
}

/// A parameter or variable statement.
#[derive(Clone, Debug)]
pub struct Statement {
    /// The record it belongs to.
    pub record: usize,
    /// The whole statement.
    pub span: Span,
    /// The name (without `$` for a variable).
    pub name: Vec<u8>,
    /// The name token.
    pub name_span: Span,
    /// The bytes of the name itself inside the token (after `$`/`${`, or
    /// inside quotes).
    pub name_inner: Range<u32>,
    /// Whether it defines a variable.
    pub is_var: bool,
    /// `+=`.
    pub append: bool,
    /// Its values.
    pub values: Vec<ValueSite>,
}

impl Statement {
    /// The name as text.
    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// A `$name` or `${name}` inside a value.
#[derive(Clone, Debug)]
pub struct VarRefSite {
    /// The variable's name.
    pub name: Vec<u8>,
    /// The whole reference token.
    pub span: Span,
    /// The name inside it.
    pub name_inner: Range<u32>,
    /// The statement it is in.
    pub statement: usize,
}

/// A block in a file, for finding the record at a position.
#[derive(Clone, Debug)]
pub struct BlockSite {
    /// Byte range of the whole block.
    pub range: Range<u32>,
    /// Its record.
    pub record: usize,
}

/// Per-file lookup tables.
#[derive(Clone, Debug, Default)]
pub struct FileIndex {
    /// Statements of this file, by start offset.
    pub statements: Vec<usize>,
    /// Variable references of this file, by start offset.
    pub var_refs: Vec<usize>,
    /// Blocks of this file, in preorder.
    pub blocks: Vec<BlockSite>,
    /// The record its top-level statements go to when it was included
    /// inside a block (`None`: the global section).
    pub include_context: Option<usize>,
    /// Its unit, when it was read.
    pub unit: Option<usize>,
}

/// The index of one configuration.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Records in jail(8)'s order (units one after another).
    pub records: Vec<Record>,
    /// Statements.
    pub statements: Vec<Statement>,
    /// Variable references.
    pub var_refs: Vec<VarRefSite>,
    /// Per file (by [`FileId`]).
    pub files: Vec<FileIndex>,
    /// For each jail of the model, its record.
    pub jail_records: Vec<Option<usize>>,
    /// Records of each unit.
    pub units: Vec<Range<usize>>,
}

struct Frame {
    file: FileId,
    children: Vec<NodeId>,
    next: usize,
    record: Option<usize>,
}

impl Index {
    /// Indexes a configuration.
    pub fn build(config: &Config) -> Index {
        Index::build_unless(config, &AtomicBool::new(false)).unwrap_or_default()
    }

    /// Indexes a configuration, unless `stop` is set before the end
    /// (checked at every jail block): `None` then.
    pub fn build_unless(config: &Config, stop: &AtomicBool) -> Option<Index> {
        let mut index = Index {
            files: vec![FileIndex::default(); config.sources.len()],
            ..Index::default()
        };
        for (unit, &root) in config.roots.iter().enumerate() {
            let first = index.records.len();
            index.walk_unit(config, unit, root, stop)?;
            index.units.push(first..index.records.len());
        }
        index.match_jails(config);
        for file in &mut index.files {
            let statements = &index.statements;
            file.statements
                .sort_by_key(|&s| statements[s].span.range.start);
            let refs = &index.var_refs;
            file.var_refs.sort_by_key(|&r| refs[r].span.range.start);
        }
        Some(index)
    }

    /// Walks the files of one unit; `None` when `stop` was set.
    fn walk_unit(
        &mut self,
        config: &Config,
        unit: usize,
        root: FileId,
        stop: &AtomicBool,
    ) -> Option<()> {
        let target = config.target;
        let mut global: Option<usize> = None;
        let tree = &config.sources.get(root).parse.tree;
        self.files[root.0 as usize].unit = Some(unit);
        let mut stack = vec![Frame {
            file: root,
            children: tree.child_nodes(tree.root()).collect(),
            next: 0,
            record: None,
        }];
        while let Some(frame) = stack.last_mut() {
            let Some(&node) = frame.children.get(frame.next) else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            let (file, record) = (frame.file, frame.record);
            let tree = &config.sources.get(file).parse.tree;
            match tree.kind(node) {
                NodeKind::Statement => {
                    let well_formed = tree.child_node(node, NodeKind::ParamName).is_some()
                        && !tree
                            .descendants(node)
                            .any(|n| tree.kind(n) == NodeKind::Error);
                    if !well_formed {
                        continue;
                    }
                    let record = match record {
                        Some(record) => record,
                        None if target.new_grammar() => {
                            *global.get_or_insert_with(|| self.new_global(unit))
                        }
                        None => match self.records.last() {
                            Some(last) if last.kind == RecordKind::Global && last.unit == unit => {
                                self.records.len() - 1
                            }
                            _ => self.new_global(unit),
                        },
                    };
                    self.add_statement(tree, file, node, record);
                }
                NodeKind::Include => {
                    let range = tree.byte_range(node);
                    let mut included: Vec<FileId> = config
                        .includes
                        .iter()
                        .filter(|d| {
                            d.span.file == file
                                && d.span.range.start as usize >= range.start
                                && d.span.range.end as usize <= range.end
                        })
                        .flat_map(|d| d.files.iter().copied())
                        .collect();
                    included.reverse();
                    for child in included {
                        let child_index = &mut self.files[child.0 as usize];
                        child_index.include_context = record;
                        child_index.unit = Some(unit);
                        let tree = &config.sources.get(child).parse.tree;
                        stack.push(Frame {
                            file: child,
                            children: tree.child_nodes(tree.root()).collect(),
                            next: 0,
                            record,
                        });
                    }
                }
                NodeKind::JailBlock => {
                    if stop.load(Ordering::Relaxed) {
                        return None;
                    }
                    let Some((own, name_span)) = block_name(tree, file, node) else {
                        continue;
                    };
                    let name = match record {
                        Some(parent) if target.new_grammar() => {
                            let mut full = self.records[parent].name.clone();
                            full.push(b'.');
                            full.extend_from_slice(&own);
                            full
                        }
                        _ => own,
                    };
                    let kind = if is_wildcard_name(&name) {
                        RecordKind::Wildcard
                    } else {
                        RecordKind::Jail(None)
                    };
                    self.records.push(Record {
                        unit,
                        name,
                        kind,
                        name_span: Some(name_span),
                        parent: record.filter(|_| target.new_grammar()),
                        statements: Vec::new(),
                    });
                    let new = self.records.len() - 1;
                    let range = tree.byte_range(node);
                    self.files[file.0 as usize].blocks.push(BlockSite {
                        range: range.start as u32..range.end as u32,
                        record: new,
                    });
                    stack.push(Frame {
                        file,
                        children: tree.child_nodes(node).collect(),
                        next: 0,
                        record: Some(new),
                    });
                }
                _ => {}
            }
        }
        Some(())
    }

    fn new_global(&mut self, unit: usize) -> usize {
        self.records.push(Record {
            unit,
            name: b"*".to_vec(),
            kind: RecordKind::Global,
            name_span: None,
            parent: None,
            statements: Vec::new(),
        });
        self.records.len() - 1
    }

    fn add_statement(&mut self, tree: &SyntaxTree, file: FileId, node: NodeId, record: usize) {
        let Some(name_node) = tree.child_node(node, NodeKind::ParamName) else {
            return;
        };
        let name_token = tree.token_range(name_node).start;
        let token = tree.tokens().at(name_token);
        let text = tree.token_text(name_token as u32);
        let is_var = token.kind.is_variable();
        let name = piece_value(token.kind, text);
        let statement = self.statements.len();
        let mut values = Vec::new();
        if let Some(list) = tree.child_node(node, NodeKind::ValueList) {
            for value in tree.child_nodes(list) {
                if tree.kind(value) != NodeKind::Value {
                    continue;
                }
                let mut pieces = Vec::new();
                for t in tree.token_range(value) {
                    let token = tree.tokens().at(t);
                    if !token.kind.is_piece() {
                        continue;
                    }
                    let text = tree.token_text(t as u32);
                    if token.kind.is_variable() {
                        let site = VarRefSite {
                            name: piece_value(token.kind, text),
                            span: Span::new(file, token.start..token.end),
                            name_inner: inner_range(token.kind, token.start, token.end),
                            statement,
                        };
                        self.files[file.0 as usize]
                            .var_refs
                            .push(self.var_refs.len());
                        pieces.push(Piece::Var(self.var_refs.len()));
                        self.var_refs.push(site);
                    } else {
                        let bytes = piece_value(token.kind, text);
                        match pieces.last_mut() {
                            Some(Piece::Text(prev)) => prev.extend_from_slice(&bytes),
                            _ => pieces.push(Piece::Text(bytes)),
                        }
                    }
                }
                let range = tree.byte_range(value);
                values.push(ValueSite {
                    span: Span::new(file, range.start as u32..range.end as u32),
                    pieces,
                });
            }
        }
        let range = tree.byte_range(node);
        self.statements.push(Statement {
            record,
            span: Span::new(file, range.start as u32..range.end as u32),
            name,
            name_span: Span::new(file, token.start..token.end),
            name_inner: inner_range(token.kind, token.start, token.end),
            is_var,
            append: tree
                .token_range(node)
                .any(|t| tree.tokens().at(t).kind == TokenKind::PlusEq),
            values,
        });
        self.records[record].statements.push(statement);
        self.files[file.0 as usize].statements.push(statement);
    }

    /// Pairs the model's jails with their records: both follow record
    /// order, wildcards and global sections excluded.
    fn match_jails(&mut self, config: &Config) {
        let jail_records: Vec<usize> = (0..self.records.len())
            .filter(|&r| matches!(self.records[r].kind, RecordKind::Jail(_)))
            .collect();
        self.jail_records = vec![None; config.jails.len()];
        if jail_records.len() != config.jails.len() {
            // A shape the walk does not mirror: match by block name span.
            for (jail_index, jail) in config.jails.iter().enumerate() {
                let found = jail_records
                    .iter()
                    .copied()
                    .find(|&r| self.records[r].name_span == jail.name_span);
                if let Some(record) = found {
                    self.records[record].kind = RecordKind::Jail(Some(jail_index));
                    self.jail_records[jail_index] = Some(record);
                }
            }
            return;
        }
        for (jail_index, record) in jail_records.into_iter().enumerate() {
            if self.records[record].name == config.jails[jail_index].name {
                self.records[record].kind = RecordKind::Jail(Some(jail_index));
                self.jail_records[jail_index] = Some(record);
            }
        }
    }

    /// The model jail of a record.
    pub fn jail_of(&self, record: usize) -> Option<usize> {
        match self.records[record].kind {
            RecordKind::Jail(jail) => jail,
            _ => None,
        }
    }

    /// The statement of `file` whose span contains `offset` (its end
    /// included).
    pub fn statement_at(&self, file: FileId, offset: u32) -> Option<usize> {
        let list = &self.files.get(file.0 as usize)?.statements;
        let after = list.partition_point(|&s| self.statements[s].span.range.start <= offset);
        let candidate = *list.get(after.checked_sub(1)?)?;
        let range = &self.statements[candidate].span.range;
        (offset <= range.end).then_some(candidate)
    }

    /// The variable reference of `file` at `offset` (its end included).
    pub fn var_ref_at(&self, file: FileId, offset: u32) -> Option<usize> {
        let list = &self.files.get(file.0 as usize)?.var_refs;
        let after = list.partition_point(|&r| self.var_refs[r].span.range.start <= offset);
        let candidate = *list.get(after.checked_sub(1)?)?;
        (offset <= self.var_refs[candidate].span.range.end).then_some(candidate)
    }

    /// The innermost block of `file` containing `offset`.
    pub fn block_at(&self, file: FileId, offset: u32) -> Option<&BlockSite> {
        self.files
            .get(file.0 as usize)?
            .blocks
            .iter()
            .filter(|b| b.range.start <= offset && offset < b.range.end.max(b.range.start + 1))
            .min_by_key(|b| b.range.end - b.range.start)
    }

    /// The record statements at `offset` of `file` belong to: the
    /// innermost block, else the context the file was included in, else
    /// the unit's global section (if it has one).
    pub fn record_at(&self, file: FileId, offset: u32) -> Option<usize> {
        if let Some(block) = self.block_at(file, offset) {
            return Some(block.record);
        }
        let info = self.files.get(file.0 as usize)?;
        if let Some(context) = info.include_context {
            return Some(context);
        }
        let unit = info.unit?;
        self.units[unit]
            .clone()
            .find(|&r| self.records[r].kind == RecordKind::Global)
    }

    /// The wildcard and global records that apply to jail record `jail`,
    /// with the jail's own record, in the order jail(8) merges them.
    pub fn applicable(&self, jail: usize) -> Vec<usize> {
        let record = &self.records[jail];
        let mut out = Vec::new();
        let mut did_self = false;
        for r in self.units[record.unit].clone() {
            let other = &self.records[r];
            if matches!(other.kind, RecordKind::Jail(_)) {
                continue;
            }
            if jail < r && !did_self {
                out.push(jail);
                did_self = true;
            }
            if jailconf_parser::model::wildcard_matches(&record.name, &other.name) {
                out.push(r);
            }
        }
        if !did_self {
            out.push(jail);
        }
        out
    }

    /// The jails (model indexes) a wildcard or global record applies to;
    /// a jail's own record applies to itself.
    pub fn jails_of(&self, config: &Config, record: usize) -> Vec<usize> {
        let rec = &self.records[record];
        match rec.kind {
            RecordKind::Jail(jail) => jail.into_iter().collect(),
            RecordKind::Wildcard | RecordKind::Global => self.units[rec.unit]
                .clone()
                .filter_map(|r| self.jail_of(r))
                .filter(|&j| {
                    jailconf_parser::model::wildcard_matches(&config.jails[j].name, &rec.name)
                })
                .collect(),
        }
    }
}

/// The name inside a name or variable token: after `$`/`${` and before
/// `}`, or inside quotes.
fn inner_range(kind: TokenKind, start: u32, end: u32) -> Range<u32> {
    let (left, right) = match kind {
        TokenKind::VarSimple => (1, 0),
        TokenKind::VarBraced => (2, 1),
        TokenKind::SingleQuoted | TokenKind::DoubleQuoted => (1, 1),
        _ => (0, 0),
    };
    let s = (start + left).min(end);
    s..end.saturating_sub(right).max(s)
}

/// The inner (name) range of a block name token.
pub fn name_token_inner(tree: &SyntaxTree, span: &Span) -> Range<u32> {
    let token = tree
        .tokens()
        .partition_point(|t| t.start < span.range.start);
    match tree.tokens().get(token) {
        Some(t) if t.start == span.range.start => inner_range(t.kind, t.start, t.end),
        _ => span.range.clone(),
    }
}
