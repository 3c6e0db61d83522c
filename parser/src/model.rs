//! The semantic model: each jail's effective parameters, built exactly as
//! jail(8)'s `config.c` builds them.
//!
//! Building happens in two stages, as in jail(8):
//!
//! 1. **Records.** The files are walked in order (following `.include`),
//!    creating a record per jail block and one for top-level statements
//!    (the global pseudo-jail `*`), each holding its statements.
//! 2. **Assembly.** For every real jail: the identity parameter (`name`, or
//!    `jid` for a numeric name), then its own statements and the matching
//!    wildcard records in record order, merged with the `no`-insensitive
//!    rules; the `name` back-fill on 15; then lazy variable expansion with
//!    its reordering side effect; finally the variables are dropped.
//!
//! Every value keeps the source span it came from. Problems are
//! diagnostics; building never fails.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use smallvec::SmallVec;

use crate::diag::{Diagnostic, Severity};
use crate::glob::{self, GlobError, GlobResult};
use crate::lexer::{piece_value_into, TokenKind};
use crate::parser::{self, SyntaxErrorKind};
use crate::source::{FileId, Sources, Span};
use crate::syntax::{NodeId, NodeKind, SyntaxTree};
use crate::Target;

/// jail(8) stops following `.include` below this depth.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Reads included files. The CLI reads the disk; the language server lets
/// open editor buffers override it.
pub trait FileLoader {
    /// Reads a whole file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Expands a glob(3) pattern.
    fn glob(&self, pattern: &[u8]) -> Result<GlobResult, GlobError> {
        glob::glob(pattern)
    }
}

/// A [`FileLoader`] that reads the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskLoader;

impl FileLoader for DiskLoader {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
}

/// A [`FileLoader`] with no files: every include is missing and every glob
/// matches nothing. For text checked on its own (benchmarks, tests, the
/// formatter's syntax check).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl FileLoader for NoFiles {
    fn read(&self, _path: &Path) -> io::Result<Vec<u8>> {
        Err(io::ErrorKind::NotFound.into())
    }

    fn glob(&self, pattern: &[u8]) -> Result<GlobResult, GlobError> {
        Ok(GlobResult {
            has_magic: glob::has_magic(pattern),
            matches: Vec::new(),
        })
    }
}

/// The top-level configuration file.
#[derive(Clone, Debug)]
pub struct MainFile {
    /// The name jail(8) would use in messages: the `-f` argument, or
    /// `STDIN`.
    pub name: String,
    /// Where it was read from; relative includes are resolved against its
    /// directory (the current directory for standard input).
    pub path: PathBuf,
    /// Its bytes.
    pub text: Vec<u8>,
    /// Whether it was read from standard input.
    pub is_stdin: bool,
}

impl MainFile {
    /// A file read from `path`, named as given.
    pub fn from_path(path: impl Into<PathBuf>, text: Vec<u8>) -> Self {
        let path = path.into();
        MainFile {
            name: path.to_string_lossy().into_owned(),
            path,
            text,
            is_stdin: false,
        }
    }

    /// Standard input.
    pub fn stdin(text: Vec<u8>) -> Self {
        MainFile {
            name: "STDIN".to_string(),
            path: PathBuf::from("-"),
            text,
            is_stdin: true,
        }
    }
}

/// How many bytes of a [`Value`] are stored inline: as many as fit in
/// the space of a `Vec`'s pointer and capacity. Short values (names,
/// addresses, interfaces, short paths) then need no allocation.
pub const INLINE_TEXT: usize = 16;

/// One value of a parameter after expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The bytes, inline up to [`INLINE_TEXT`] of them.
    pub text: SmallVec<[u8; INLINE_TEXT]>,
    /// The source string it was written as (for a list variable expanded
    /// into several values: that variable's value).
    pub span: Option<Span>,
}

/// One parameter of a jail after inheritance and expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The name as jail(8) prints it (the last spelling used); borrowed
    /// when that spelling is one of jail(8)'s own parameter names.
    pub name: Cow<'static, [u8]>,
    /// The values, in order; empty for a parameter given without a value.
    /// The first is stored inline: most parameters have one.
    pub values: SmallVec<[Value; 1]>,
    /// The statement that last set or appended to it; `None` for the
    /// implicit `name`/`jid` from the block name.
    pub span: Option<Span>,
}

impl Param {
    /// The name as text (lossy for non-UTF-8 bytes).
    pub fn name_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }
}

/// A jail with its effective parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Jail {
    /// The full (dotted) name from the block.
    pub name: Vec<u8>,
    /// The block's name in the source.
    pub name_span: Option<Span>,
    /// The parameters in jail(8)'s order.
    pub params: Vec<Param>,
    /// Whether jail(8) would mark the jail failed while configuring it
    /// (a variable or merge error).
    pub failed: bool,
}

impl Jail {
    /// The name as text (lossy for non-UTF-8 bytes).
    pub fn name_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The parameter with exactly this name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name.as_bytes())
    }
}

/// One `.include` value and the files it brought in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeDirective {
    /// The value in the source.
    pub span: Span,
    /// The path or pattern after resolving it against the including file.
    pub pattern: Vec<u8>,
    /// Whether it has glob characters (then matching nothing is fine).
    pub is_glob: bool,
    /// The files read for it, in order.
    pub files: Vec<FileId>,
}

/// A whole configuration: files, jails and diagnostics.
#[derive(Debug)]
pub struct Config {
    /// The target the model follows.
    pub target: Target,
    /// Every file read.
    pub sources: Sources,
    /// The top-level files (the others were included by them).
    pub roots: Vec<FileId>,
    /// Every `.include` value that was followed, with what it matched.
    pub includes: Vec<IncludeDirective>,
    /// Real jails (wildcards and the global section are not jails), in
    /// jail(8)'s order.
    pub jails: Vec<Jail>,
    /// Every problem found, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// Whether jail(8) would stop before printing anything (a syntax error,
    /// a missing include, an include loop): `jail -e` then exits 1.
    pub fatal: bool,
}

impl Config {
    /// Parses `main` and everything it includes, and builds the model.
    pub fn load(main: MainFile, loader: &dyn FileLoader, target: Target) -> Config {
        Config::load_many(vec![main], loader, target)
    }

    /// Builds one model from several top-level files that jail(8) reads
    /// separately (e.g. the files of a `jail.conf.d` folder, each passed
    /// with `-f`): each has its own global section, but they share one set
    /// of sources, so spans from all of them can be compared. A file that
    /// an earlier one already included is not read again as a root.
    pub fn load_many(mains: Vec<MainFile>, loader: &dyn FileLoader, target: Target) -> Config {
        Config::build(mains, loader, target, None)
    }

    /// [`Config::load_many`] assembling jails on `threads` threads (by
    /// default, as many as [`assembly_threads`] gives).
    fn build(
        mains: Vec<MainFile>,
        loader: &dyn FileLoader,
        target: Target,
        threads: Option<usize>,
    ) -> Config {
        let mut sources = Sources::new();
        let mut diagnostics = Vec::new();
        let mut jails = Vec::new();
        let mut roots = Vec::new();
        let mut includes = Vec::new();
        let mut fatal = false;
        for main in mains {
            let already_read = !main.is_stdin
                && sources
                    .iter()
                    .any(|(_, file)| same_file(&file.path, &main.path));
            if already_read {
                continue;
            }
            let mut builder = RecordBuilder {
                target,
                loader,
                sources,
                records: Vec::new(),
                global: None,
                diagnostics: Vec::new(),
                fatal: false,
                stopped: false,
                includes: Vec::new(),
                included: HashMap::new(),
                name_cursors: Vec::new(),
            };
            roots.push(FileId(builder.sources.len() as u32));
            builder.read_main(main);
            let RecordBuilder {
                sources: read,
                records,
                diagnostics: mut found,
                fatal: root_fatal,
                includes: root_includes,
                ..
            } = builder;
            includes.extend(root_includes);
            sources = read;
            let assembled = assemble(records, &sources, target, threads, &mut found);
            if jails.is_empty() {
                jails = assembled;
            } else {
                jails.extend(assembled);
            }
            diagnostics.extend(found);
            fatal |= root_fatal;
        }
        Config {
            target,
            sources,
            roots,
            includes,
            jails,
            diagnostics,
            fatal,
        }
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

// ---------------------------------------------------------------------------
// Stage 1: records
// ---------------------------------------------------------------------------

/// The names, texts and references of lowered statements, in flat vectors
/// that statements index into, so lowering allocates a handful of times
/// rather than several times per statement (and not at all when a cleared
/// arena is reused).
#[derive(Debug, Default)]
struct Arena {
    /// Statement and variable names.
    names: Vec<u8>,
    /// String texts (without their references).
    text: Vec<u8>,
    strings: Vec<CfString>,
    vars: Vec<VarRef>,
}

impl Arena {
    fn name(&self, range: &Range<usize>) -> &[u8] {
        &self.names[range.clone()]
    }

    fn clear(&mut self) {
        self.names.clear();
        self.text.clear();
        self.strings.clear();
        self.vars.clear();
    }
}

/// A variable reference inside a string, at a byte position of its text.
#[derive(Clone, Debug)]
struct VarRef {
    /// In [`Arena::names`].
    name: Range<usize>,
    pos: usize,
    span: Span,
}

/// One string (value) of a statement before expansion.
#[derive(Clone, Debug)]
struct CfString {
    /// In [`Arena::text`].
    text: Range<usize>,
    /// In [`Arena::vars`].
    vars: Range<usize>,
    span: Span,
}

/// One parameter or variable statement.
#[derive(Clone, Debug)]
struct Statement {
    /// In [`Arena::names`].
    name: Range<usize>,
    is_var: bool,
    append: bool,
    /// In [`Arena::strings`].
    values: Range<usize>,
    span: Span,
    /// The jail(8) parameter this name is (allowing a `no` prefix), if any.
    reserved: Option<ReservedName>,
    /// `reserved` when the name is spelled exactly as it (no `no`).
    static_name: Option<ReservedName>,
    /// Whether the name has a `no` component ([`has_no_component`]).
    has_no: bool,
}

/// A well-formed `Statement` node, lowered to a [`Statement`] only when
/// its jail is assembled: records stay small, and the lowered form of a
/// jail's own statements lives only while that jail is assembled.
#[derive(Clone, Copy, Debug)]
struct StatementRef {
    file: FileId,
    node: NodeId,
}

/// A jail block or the global pseudo-jail.
#[derive(Debug)]
struct Record {
    name: Vec<u8>,
    name_span: Option<Span>,
    statements: Vec<StatementRef>,
}

struct RecordBuilder<'a> {
    target: Target,
    loader: &'a dyn FileLoader,
    sources: Sources,
    records: Vec<Record>,
    /// The new grammar's single global pseudo-jail.
    global: Option<usize>,
    diagnostics: Vec<Diagnostic>,
    fatal: bool,
    /// jail(8) has exited at a glob failure or past the include depth:
    /// nothing after it is read. (After a file that cannot be read, the
    /// rest is still analysed, for editors; the configuration is fatal.)
    stopped: bool,
    includes: Vec<IncludeDirective>,
    /// The files read for includes, by path: a file included again (an
    /// include cycle, or a pattern matched from several places) is read
    /// and parsed once and walked again.
    included: HashMap<PathBuf, FileId>,
    /// Per file, where its next jail name is looked for (the walk reaches
    /// a file's blocks in order).
    name_cursors: Vec<usize>,
}

/// A file an `.include` matched, read only when the walk reaches it (as
/// jail(8) reads them one after the other): a pattern that matches many
/// files which include it again then costs one file per level, not all of
/// them at every level.
struct PendingFile {
    path: Vec<u8>,
    /// Index in `RecordBuilder::includes`.
    directive: usize,
    /// The value that matched it, for errors.
    span: Span,
    jail: Option<usize>,
    /// Include depth of the file.
    depth: usize,
}

/// One level of the file walk: the child nodes of a file or block.
struct Frame {
    file: FileId,
    /// The next child node to visit, and where the children end.
    next: NodeId,
    end: NodeId,
    /// The record statements go to (`None`: top level).
    jail: Option<usize>,
    /// Include depth of this file.
    depth: usize,
}

impl Frame {
    /// The top-level items of a whole file.
    fn whole_file(tree: &SyntaxTree, file: FileId, jail: Option<usize>, depth: usize) -> Frame {
        Frame {
            file,
            next: NodeId(tree.root().0 + 1),
            end: tree.subtree_end(tree.root()),
            jail,
            depth,
        }
    }
}

impl RecordBuilder<'_> {
    fn read_main(&mut self, main: MainFile) {
        let parse = parser::parse_owned(main.text, self.target);
        let name = main.name.clone();
        let base = if main.is_stdin {
            IncludeBase::CurrentDir
        } else {
            IncludeBase::NameOf(name.as_bytes().into())
        };
        let file = self.add_file(name, main.path, parse);
        // A record for each of the file's blocks and the global section.
        let blocks = self.sources.get(file).parse.tree.jail_name_count();
        self.records.reserve(blocks + 1);
        self.walk(file, base);
    }

    fn add_file(&mut self, name: String, path: PathBuf, parse: parser::Parse) -> FileId {
        let failed = !parse.errors.is_empty();
        let file = self.sources.add(name, path, parse);
        self.name_cursors.resize(self.sources.len(), 0);
        if failed {
            self.fatal = true;
            self.syntax_diagnostics(file);
        }
        file
    }

    fn syntax_diagnostics(&mut self, file: FileId) {
        let source = self.sources.get(file);
        // jail(8) reports problems in the order it meets them: a lexical
        // error when its token is read, a syntax error at the token after.
        let first_reported = source
            .parse
            .errors
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| {
                let lexical = matches!(
                    e.kind,
                    SyntaxErrorKind::UnterminatedString
                        | SyntaxErrorKind::UnterminatedComment
                        | SyntaxErrorKind::UnterminatedVariable
                );
                (e.jail_token.as_ref().map_or(u32::MAX, |r| r.end), !lexical)
            })
            .map(|(i, _)| i);
        for (index, error) in source.parse.errors.iter().enumerate() {
            if error.follow_on && Some(index) != first_reported {
                continue;
            }
            let code = match error.kind {
                SyntaxErrorKind::UnexpectedToken | SyntaxErrorKind::UnexpectedEof => "syntax-error",
                SyntaxErrorKind::UnterminatedString => "unterminated-string",
                SyntaxErrorKind::UnterminatedComment => "unterminated-comment",
                SyntaxErrorKind::UnterminatedVariable => "unterminated-variable",
                SyntaxErrorKind::StrayCharacter => "stray-character",
            };
            let mut diag = Diagnostic::error(
                code,
                error.message.clone(),
                Span::new(file, error.range.clone()),
            );
            if let Some(hint) = &error.hint {
                diag = diag.with_help(hint.clone());
            }
            if let Some((range, message)) = &error.related {
                diag = diag.with_secondary(Span::new(file, range.clone()), message.clone());
            }
            if Some(index) == first_reported {
                diag = diag.with_jail_message(jail_syntax_message(
                    &source.name,
                    source.text(),
                    error,
                    self.target,
                ));
            }
            self.diagnostics.push(diag);
        }
    }

    /// Walks a file's items with an explicit stack (blocks may nest deeply).
    fn walk(&mut self, root_file: FileId, root_base: IncludeBase) {
        let tree = &self.sources.get(root_file).parse.tree;
        let mut stack = vec![(
            Visit::Items(Frame::whole_file(tree, root_file, None, 0)),
            root_base,
        )];
        while let Some((visit, _)) = stack.last_mut() {
            if self.stopped {
                break;
            }
            let frame = match visit {
                Visit::Items(frame) => frame,
                Visit::File(pending) => {
                    let directive = pending.directive;
                    match self.read_included(pending) {
                        Some(file) => {
                            let tree = &self.sources.get(file).parse.tree;
                            *visit = Visit::Items(Frame::whole_file(
                                tree,
                                file,
                                pending.jail,
                                pending.depth,
                            ));
                        }
                        None => {
                            // jail(8) stops at the first file it cannot
                            // open: the later matches are not read.
                            stack.pop();
                            while let Some((Visit::File(next), _)) = stack.last() {
                                if next.directive != directive {
                                    break;
                                }
                                stack.pop();
                            }
                        }
                    }
                    continue;
                }
            };
            if frame.next >= frame.end {
                stack.pop();
                continue;
            }
            let node = frame.next;
            let (file, jail, depth) = (frame.file, frame.jail, frame.depth);
            let tree = &self.sources.get(file).parse.tree;
            frame.next = tree.subtree_end(node);
            match tree.kind(node) {
                NodeKind::Statement if is_well_formed(tree, node) => {
                    self.add_statement(jail, StatementRef { file, node });
                }
                NodeKind::Include => {
                    let base = stack
                        .last()
                        .map(|(_, b)| b.clone())
                        .unwrap_or(IncludeBase::CurrentDir);
                    let mut arena = Arena::default();
                    let values = tree_include_values(tree, file, node, &mut arena);
                    // Included files are walked in order: later ones are
                    // pushed below earlier ones, see `include`.
                    for (pending, child_base) in self.include(&arena, values, &base, jail, depth) {
                        stack.push((Visit::File(pending), child_base));
                    }
                }
                NodeKind::JailBlock => {
                    let Some((own_name, piece)) =
                        tree.jail_name_in_order(node, &mut self.name_cursors[file.0 as usize])
                    else {
                        continue;
                    };
                    let (own_name, name_span) = (own_name.to_vec(), Span::new(file, piece));
                    let children = tree.child_nodes(node).count();
                    let end = tree.subtree_end(node);
                    let record = self.open_block(own_name, name_span, jail, children);
                    let base = stack
                        .last()
                        .map(|(_, b)| b.clone())
                        .unwrap_or(IncludeBase::CurrentDir);
                    stack.push((
                        Visit::Items(Frame {
                            file,
                            next: NodeId(node.0 + 1),
                            end,
                            jail: Some(record),
                            depth,
                        }),
                        base,
                    ));
                }
                _ => {}
            }
        }
    }

    /// Creates the record for a jail block. On 13 the record is created at
    /// the block's end, which (without nesting) is the same position.
    /// `statements` is how many statements to expect (a capacity).
    fn open_block(
        &mut self,
        own: Vec<u8>,
        name_span: Span,
        parent: Option<usize>,
        statements: usize,
    ) -> usize {
        let name = match parent {
            Some(parent) if self.target.new_grammar() => {
                let mut full = self.records[parent].name.clone();
                full.push(b'.');
                full.extend_from_slice(&own);
                full
            }
            _ => own,
        };
        self.records.push(Record {
            name,
            name_span: Some(name_span),
            statements: Vec::with_capacity(statements),
        });
        self.records.len() - 1
    }

    fn add_statement(&mut self, jail: Option<usize>, statement: StatementRef) {
        let record = match jail {
            Some(record) => record,
            None if self.target.new_grammar() => match self.global {
                Some(global) => global,
                None => {
                    let global = self.new_global_record();
                    self.global = Some(global);
                    global
                }
            },
            None => match self.records.last() {
                Some(last) if last.name == b"*" => self.records.len() - 1,
                _ => self.new_global_record(),
            },
        };
        self.records[record].statements.push(statement);
    }

    fn new_global_record(&mut self) -> usize {
        self.records.push(Record {
            name: b"*".to_vec(),
            name_span: None,
            statements: Vec::new(),
        });
        self.records.len() - 1
    }

    /// Resolves the files of one `.include` statement (they are read when
    /// the walk reaches them). Returns them in reverse order, ready to be
    /// pushed on the walk stack.
    fn include(
        &mut self,
        arena: &Arena,
        values: Range<usize>,
        base: &IncludeBase,
        jail: Option<usize>,
        depth: usize,
    ) -> Vec<(PendingFile, IncludeBase)> {
        let mut files = Vec::new();
        for index in values {
            let value = &arena.strings[index];
            if !value.vars.is_empty() {
                self.fatal = true;
                let source = self.sources.get(value.span.file);
                let line = source.lines.line_col(value.span.range.end).line;
                self.diagnostics.push(
                    Diagnostic::error(
                        "include-variable",
                        "variables are not permitted in an `.include` file name",
                        value.span.clone(),
                    )
                    .with_help("write the path literally (a single-quoted `'$'` is literal)")
                    .with_jail_message(format!(
                        "{} line {line}: variables not permitted in '.include' filename",
                        source.name
                    )),
                );
                continue;
            }
            if depth + 1 > MAX_INCLUDE_DEPTH {
                self.fatal = true;
                self.diagnostics.push(
                    Diagnostic::error(
                        "include-depth",
                        format!("includes nest deeper than {MAX_INCLUDE_DEPTH} levels"),
                        value.span.clone(),
                    )
                    .with_help(
                        "an include loop: a file includes itself, directly or through others",
                    )
                    .with_jail_message("maximum include depth exceeded"),
                );
                // jail(8) exits here.
                self.stopped = true;
                return Vec::new();
            }
            let pattern = base.resolve(&arena.text[value.text.clone()]);
            let (paths, is_glob) = match self.loader.glob(&pattern) {
                Ok(result) if result.has_magic => (result.matches, true),
                Ok(_) => (vec![pattern.clone()], false),
                Err(error) => {
                    self.fatal = true;
                    self.diagnostics.push(
                        Diagnostic::error(
                            "include-glob-failed",
                            format!("cannot expand the include pattern: {error}"),
                            value.span.clone(),
                        )
                        .with_jail_message(format!(
                            "{}: filename glob failed",
                            String::from_utf8_lossy(&pattern)
                        )),
                    );
                    self.stopped = true;
                    return Vec::new();
                }
            };
            self.includes.push(IncludeDirective {
                span: value.span.clone(),
                pattern: pattern.clone(),
                is_glob,
                files: Vec::new(),
            });
            let directive = self.includes.len() - 1;
            for path in paths {
                let base = IncludeBase::NameOf(path.clone().into());
                let pending = PendingFile {
                    path,
                    directive,
                    span: value.span.clone(),
                    jail,
                    depth: depth + 1,
                };
                files.push((pending, base));
            }
        }
        files.reverse();
        files
    }

    /// Reads and parses an included file; `None` (with the error reported)
    /// when it cannot be read.
    fn read_included(&mut self, pending: &PendingFile) -> Option<FileId> {
        let fs_path = bytes_to_path(&pending.path);
        if let Some(&file) = self.included.get(&fs_path) {
            self.includes[pending.directive].files.push(file);
            return Some(file);
        }
        let name = String::from_utf8_lossy(&pending.path).into_owned();
        match self.loader.read(&fs_path) {
            Ok(text) => {
                let parse = parser::parse_owned(text, self.target);
                let file = self.add_file(name, fs_path.clone(), parse);
                self.included.insert(fs_path, file);
                self.includes[pending.directive].files.push(file);
                Some(file)
            }
            Err(error) => {
                self.fatal = true;
                self.diagnostics.push(
                    Diagnostic::error(
                        "include-not-found",
                        format!("cannot read included file `{name}`: {}", io_message(&error)),
                        pending.span.clone(),
                    )
                    .with_help("a path without glob characters must exist; use a glob such as `dir/*.conf` to allow no match")
                    .with_jail_message(format!("{name}: {}", io_message(&error))),
                );
                None
            }
        }
    }
}

/// An entry of the file walk's stack.
enum Visit {
    /// Items of a file or block still to visit.
    Items(Frame),
    /// An included file not read yet.
    File(PendingFile),
}

/// Whether two paths name the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// How relative include names are resolved: against the directory of the
/// including file as it was named, or the current directory.
#[derive(Clone, Debug)]
enum IncludeBase {
    CurrentDir,
    NameOf(Rc<[u8]>),
}

impl IncludeBase {
    fn resolve(&self, name: &[u8]) -> Vec<u8> {
        match self {
            IncludeBase::NameOf(outer) if name.first() != Some(&b'/') => {
                match outer.iter().rposition(|&b| b == b'/') {
                    Some(slash) => {
                        let mut full = outer[..=slash].to_vec();
                        full.extend_from_slice(name);
                        full
                    }
                    None => name.to_vec(),
                }
            }
            _ => name.to_vec(),
        }
    }
}

fn bytes_to_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// The text of an I/O error as strerror(3) words it.
pub fn io_message(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "No such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "Permission denied".to_string(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(cut) => text[..cut].to_string(),
                None => text,
            }
        }
    }
}

/// jail(8)'s message for the first syntax error of a file.
fn jail_syntax_message(
    name: &str,
    text: &[u8],
    error: &parser::SyntaxError,
    target: Target,
) -> String {
    let line_at = |offset: u32| {
        1 + text[..offset as usize]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    match (&error.kind, &error.jail_token) {
        (SyntaxErrorKind::UnterminatedString, Some(range)) => {
            format!("{name} line {}: unterminated string", line_at(range.end))
        }
        (SyntaxErrorKind::UnterminatedComment, Some(range)) => {
            // The 13-era scanner counts lines itself and reports where the
            // comment starts; the newer one reports the end of the file.
            let at = if target.new_grammar() {
                range.end
            } else {
                range.start
            };
            format!("{name} line {}: unterminated comment", line_at(at))
        }
        (SyntaxErrorKind::UnterminatedVariable, Some(range)) => {
            format!("{name} line {}: unterminated variable", line_at(range.end))
        }
        (_, Some(range)) => format!(
            "{name} line {}: {}: syntax error",
            line_at(range.end),
            String::from_utf8_lossy(&text[range.start as usize..range.end as usize])
        ),
        (_, None) => format!("{name}: unexpected EOF"),
    }
}

/// A jail block's own name (as jail(8) reads it, before any parent name
/// is prepended) and the span of its name piece; `None` when the name is
/// broken.
pub fn block_name(tree: &SyntaxTree, file: FileId, node: NodeId) -> Option<(Vec<u8>, Span)> {
    let (name, piece) = tree.jail_name(node)?;
    Some((name.to_vec(), Span::new(file, piece)))
}

/// Whether a `Statement` node can be lowered: it has a name and no part of
/// it is broken.
fn is_well_formed(tree: &SyntaxTree, node: NodeId) -> bool {
    tree.child_node(node, NodeKind::ParamName).is_some()
        && !tree
            .descendants(node)
            .any(|n| tree.kind(n) == NodeKind::Error)
}

/// Builds a statement from a well-formed `Statement` node.
fn lower_statement(
    tree: &SyntaxTree,
    file: FileId,
    node: NodeId,
    reserved: &ReservedNames,
    arena: &mut Arena,
) -> Option<Statement> {
    let name_node = tree.child_node(node, NodeKind::ParamName)?;
    let name_token = tree.token_range(name_node).start;
    let piece = tree.tokens().at(name_token);
    let name_start = arena.names.len();
    piece_value_into(
        piece.kind,
        tree.token_text(name_token as u32),
        &mut arena.names,
    );
    let name = name_start..arena.names.len();
    let list = tree.child_node(node, NodeKind::ValueList);
    // In a well-formed statement the operator is the only significant
    // token between the name and the values.
    let operator_tokens = tree.token_range(name_node).end
        ..list.map_or(tree.token_range(node).end, |list| {
            tree.token_range(list).start
        });
    let append = tree
        .tokens()
        .range(operator_tokens)
        .any(|t| t.kind == TokenKind::PlusEq);
    let values = match list {
        Some(list) => lower_values(tree, file, list, arena),
        None => arena.strings.len()..arena.strings.len(),
    };
    let range = tree.byte_range(node);
    let has_no = has_no_component(arena.name(&name));
    let reserved = reserved.find(arena.name(&name), has_no);
    let static_name = reserved.filter(|reserved| reserved.as_str().as_bytes() == arena.name(&name));
    Some(Statement {
        name,
        is_var: piece.kind.is_variable(),
        append,
        values,
        span: Span::new(file, range.start as u32..range.end as u32),
        reserved,
        static_name,
        has_no,
    })
}

fn tree_include_values(
    tree: &SyntaxTree,
    file: FileId,
    node: NodeId,
    arena: &mut Arena,
) -> Range<usize> {
    match tree.child_node(node, NodeKind::ValueList) {
        Some(list) => lower_values(tree, file, list, arena),
        None => arena.strings.len()..arena.strings.len(),
    }
}

/// Adds the strings of a `ValueList` to the arena and returns their range.
fn lower_values(tree: &SyntaxTree, file: FileId, list: NodeId, arena: &mut Arena) -> Range<usize> {
    let first = arena.strings.len();
    for value in tree.child_nodes(list) {
        if tree.kind(value) != NodeKind::Value {
            continue;
        }
        let text_start = arena.text.len();
        let vars_start = arena.vars.len();
        for index in tree.token_range(value) {
            let token = tree.tokens().at(index);
            if !token.kind.is_piece() {
                continue;
            }
            let piece = tree.token_text(index as u32);
            if token.kind.is_variable() {
                let name_start = arena.names.len();
                piece_value_into(token.kind, piece, &mut arena.names);
                arena.vars.push(VarRef {
                    name: name_start..arena.names.len(),
                    pos: arena.text.len() - text_start,
                    span: Span::new(file, token.start..token.end),
                });
            } else {
                piece_value_into(token.kind, piece, &mut arena.text);
            }
        }
        let range = tree.byte_range(value);
        arena.strings.push(CfString {
            text: text_start..arena.text.len(),
            vars: vars_start..arena.vars.len(),
            span: Span::new(file, range.start as u32..range.end as u32),
        });
    }
    first..arena.strings.len()
}

// ---------------------------------------------------------------------------
// Stage 2: assembly
// ---------------------------------------------------------------------------

/// Names jail(8) knows itself (its `intparams` table, without the internal
/// conversion entries), in table order. A variable may not be named like
/// one of these. `zfs.dataset` joined the table in FreeBSD 15.0.
const RESERVED_NAMES: &[&str] = &[
    "allow.dying",
    "command",
    "depend",
    "exec.clean",
    "exec.consolelog",
    "exec.fib",
    "exec.jail_user",
    "exec.poststart",
    "exec.poststop",
    "exec.prepare",
    "exec.prestart",
    "exec.prestop",
    "exec.release",
    "exec.created",
    "exec.start",
    "exec.stop",
    "exec.system_jail_user",
    "exec.system_user",
    "exec.timeout",
    "interface",
    "ip_hostname",
    "mount",
    "mount.devfs",
    "mount.fdescfs",
    "mount.procfs",
    "mount.fstab",
    "stop.timeout",
    "vnet.interface",
    "allow.chflags",
    "allow.mount",
    "allow.raw_sockets",
    "allow.set_hostname",
    "allow.socket_af",
    "allow.sysvipc",
    "devfs_ruleset",
    "host.hostname",
    "ip4.addr",
    "ip6.addr",
    "jid",
    "name",
    "path",
    "persist",
    "securelevel",
    "vnet",
    // Only this name differs between releases; it stays last so that
    // older releases use the table without it.
    "zfs.dataset",
];

/// [`RESERVED_NAMES`] as `target` has them.
fn reserved_names(target: Target) -> &'static [&'static str] {
    if target >= Target::V15 {
        RESERVED_NAMES
    } else {
        &RESERVED_NAMES[..RESERVED_NAMES.len() - 1]
    }
}

/// One of [`RESERVED_NAMES`], by its place in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ReservedName(u8);

impl ReservedName {
    const NAME: ReservedName = ReservedName::of("name");
    const JID: ReservedName = ReservedName::of("jid");

    /// The entry for `name`, which must be in the table.
    const fn of(name: &str) -> ReservedName {
        let mut index = 0;
        while index < RESERVED_NAMES.len() {
            if equal_bytes(RESERVED_NAMES[index].as_bytes(), name.as_bytes()) {
                return ReservedName(index as u8);
            }
            index += 1;
        }
        panic!("not a reserved name");
    }

    fn as_str(self) -> &'static str {
        RESERVED_NAMES[usize::from(self.0)]
    }
}

const _: () = assert!(RESERVED_NAMES.len() <= 256, "a ReservedName is one byte");

/// Byte equality for constants.
const fn equal_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut index = 0;
    while index < a.len() {
        if a[index] != b[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// [`reserved_names`] grouped by length, to find the one a name matches
/// without trying them all.
struct ReservedNames {
    names: &'static [&'static str],
    /// Indexes into `names`, by name length.
    by_len: Vec<Vec<usize>>,
    /// Indexes of the names with a `no` component ([`has_no_component`]).
    with_no: Vec<usize>,
}

impl ReservedNames {
    fn new(target: Target) -> Self {
        let names = reserved_names(target);
        let mut by_len: Vec<Vec<usize>> = Vec::new();
        for (index, name) in names.iter().enumerate() {
            if by_len.len() <= name.len() {
                by_len.resize_with(name.len() + 1, Vec::new);
            }
            by_len[name.len()].push(index);
        }
        let with_no = (0..names.len())
            .filter(|&index| has_no_component(names[index].as_bytes()))
            .collect();
        ReservedNames {
            names,
            by_len,
            with_no,
        }
    }

    /// The first reserved name that `name` is (by [`equal_opts`]), given
    /// whether `name` has a `no` component.
    fn find(&self, name: &[u8], has_no: bool) -> Option<ReservedName> {
        let len = name.len();
        let mut first: Option<usize> = None;
        let mut consider = |index: usize| {
            if first.is_none_or(|first| index < first)
                && equal_opts(name, self.names[index].as_bytes())
            {
                first = Some(index);
            }
        };
        self.by_len
            .get(len)
            .into_iter()
            .flatten()
            .for_each(|&i| consider(i));
        // A name two bytes apart matches only if the longer one has a `no`
        // component.
        if has_no && len >= 2 {
            self.by_len
                .get(len - 2)
                .into_iter()
                .flatten()
                .for_each(|&i| consider(i));
        }
        for &index in &self.with_no {
            if self.names[index].len() == len + 2 {
                consider(index);
            }
        }
        // `names` is a prefix of `RESERVED_NAMES`, which fits in a byte.
        first.map(|index| ReservedName(index as u8))
    }
}

/// jail(8)'s `equalopts`: the same parameter, allowing a `no` prefix on the
/// whole name or on any component after a common dotted prefix.
#[inline]
pub fn equal_opts(a: &[u8], b: &[u8]) -> bool {
    // Only names of the same length or two bytes (one `no`) apart match.
    match a.len().abs_diff(b.len()) {
        0 => a.last() == b.last() && a == b,
        2 => equal_opts_with_no(a, b),
        _ => false,
    }
}

/// [`equal_opts`] for names two bytes apart: whether one is the other with
/// a `no` in front of it or of a component after a common prefix.
fn equal_opts_with_no(a: &[u8], b: &[u8]) -> bool {
    let longer = if a.len() > b.len() { a } else { b };
    if !has_no_component(longer) {
        return false;
    }
    let no_equal = |x: &[u8], y: &[u8]| x.starts_with(b"no") && &x[2..] == y;
    if no_equal(a, b) || no_equal(b, a) {
        return true;
    }
    let (mut a, mut b) = (a, b);
    while let Some(dot) = a.iter().position(|&c| c == b'.') {
        let prefix = dot + 1;
        if b.len() < prefix || a[..prefix] != b[..prefix] {
            break;
        }
        a = &a[prefix..];
        b = &b[prefix..];
        if no_equal(a, b) || no_equal(b, a) {
            return true;
        }
    }
    false
}

/// `a == b` for names: a byte loop, cheaper than a library call for the
/// short names of parameters and variables.
fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Whether a dotted component of `name` starts with `no`: of two names
/// that [`equal_opts`] matches but that differ, the longer one has one.
fn has_no_component(name: &[u8]) -> bool {
    name.starts_with(b"no")
        || name
            .windows(3)
            .any(|w| w[0] == b'.' && w[1] == b'n' && w[2] == b'o')
}

/// jail(8)'s `wild_jail_name`: a `*` forming a whole dotted component.
pub fn is_wildcard_name(name: &[u8]) -> bool {
    name.iter().enumerate().any(|(i, &c)| {
        c == b'*' && (i == 0 || name[i - 1] == b'.') && (i + 1 == name.len() || name[i + 1] == b'.')
    })
}

/// jail(8)'s `wild_jail_match`: a non-final `*` matches one component, a
/// final `*` one or more.
pub fn wildcard_matches(jail: &[u8], wild: &[u8]) -> bool {
    let (mut j, mut w) = (jail, wild);
    while let (Some(jd), Some(wd)) = (
        j.iter().position(|&c| c == b'.'),
        w.iter().position(|&c| c == b'.'),
    ) {
        if j[..=jd] != *w.get(..=jd).unwrap_or(&[]) && !w.starts_with(b"*.") {
            return false;
        }
        j = &j[jd + 1..];
        w = &w[wd + 1..];
    }
    j == w || w == b"*"
}

/// jail(8)'s numeric-name test: `strtol(name, &end, 10) != 0 && *end == 0`.
pub fn is_numeric_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() && matches!(name[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    if i < name.len() && matches!(name[i], b'+' | b'-') {
        i += 1;
    }
    let digits = &name[i..];
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) && digits.iter().any(|&d| d != b'0')
}

/// One value of an entry while it is assembled: the text expanded so far
/// and the references still to substitute. The text is borrowed from the
/// lowered statement until a substitution changes it, so values shared by
/// many jails (top-level and wildcard statements) are copied only once,
/// into the final [`Value`].
#[derive(Clone, Debug)]
struct PendingValue<'r> {
    text: Cow<'r, [u8]>,
    /// References not substituted yet, in order.
    vars: &'r [VarRef],
    /// The names the references point into ([`Arena::names`]).
    names: &'r [u8],
    /// Bytes inserted into `text` so far, which moves the positions of the
    /// remaining references.
    shift: usize,
    span: Span,
}

impl<'r> PendingValue<'r> {
    fn new(arena: &'r Arena, string: &'r CfString) -> Self {
        PendingValue {
            text: Cow::Borrowed(&arena.text[string.text.clone()]),
            vars: &arena.vars[string.vars.clone()],
            names: &arena.names,
            shift: 0,
            span: string.span.clone(),
        }
    }

    /// A value without references.
    fn literal(text: Cow<'r, [u8]>, span: Span) -> Self {
        PendingValue {
            text,
            vars: &[],
            names: &[],
            shift: 0,
            span,
        }
    }

    /// Inserts `bytes` where the first remaining reference stood; `extra`
    /// is how many bytes the later references are expected to add.
    fn substitute_first(&mut self, bytes: &[u8], extra: usize) {
        let var = &self.vars[0];
        let pos = (var.pos + self.shift).min(self.text.len());
        match &mut self.text {
            Cow::Owned(text) => {
                text.reserve_exact(bytes.len());
                text.extend_from_slice(bytes);
                text[pos..].rotate_right(bytes.len());
            }
            Cow::Borrowed(old) => {
                let mut text = Vec::with_capacity(old.len() + bytes.len() + extra);
                text.extend_from_slice(&old[..pos]);
                text.extend_from_slice(bytes);
                text.extend_from_slice(&old[pos..]);
                self.text = Cow::Owned(text);
            }
        }
        self.shift += bytes.len();
    }

    fn into_value(self) -> Value {
        Value {
            text: match self.text {
                // A text that does not fit inline keeps its buffer.
                Cow::Owned(text) if text.len() > INLINE_TEXT => SmallVec::from_vec(text),
                text => SmallVec::from_slice(&text),
            },
            span: Some(self.span),
        }
    }
}

/// An entry's values. Most entries have one, kept inline: a jail's
/// assembly then allocates little beyond its final parameters.
#[derive(Clone, Debug, Default)]
struct Values<'r> {
    first: Option<PendingValue<'r>>,
    /// The values after the first; empty while there is no first.
    rest: Vec<PendingValue<'r>>,
}

impl<'r> Values<'r> {
    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    fn clear(&mut self) {
        self.first = None;
        self.rest.clear();
    }

    fn iter(&self) -> impl Iterator<Item = &PendingValue<'r>> {
        self.first.iter().chain(&self.rest)
    }

    fn extend(&mut self, values: impl IntoIterator<Item = PendingValue<'r>>) {
        let mut values = values.into_iter();
        if self.first.is_none() {
            self.first = values.next();
        }
        self.rest.extend(values);
    }

    /// Inserts `values` after the value at `index`.
    fn insert_after(&mut self, index: usize, values: impl IntoIterator<Item = PendingValue<'r>>) {
        self.rest.splice(index..index, values);
    }

    fn into_values(self) -> SmallVec<[Value; 1]> {
        let mut values = SmallVec::with_capacity(self.len());
        values.extend(
            self.first
                .into_iter()
                .chain(self.rest)
                .map(PendingValue::into_value),
        );
        values
    }
}

impl<'r> std::ops::Index<usize> for Values<'r> {
    type Output = PendingValue<'r>;

    fn index(&self, index: usize) -> &PendingValue<'r> {
        match index {
            0 => self.first.as_ref().expect("index in bounds"),
            _ => &self.rest[index - 1],
        }
    }
}

impl std::ops::IndexMut<usize> for Values<'_> {
    fn index_mut(&mut self, index: usize) -> &mut Self::Output {
        match index {
            0 => self.first.as_mut().expect("index in bounds"),
            _ => &mut self.rest[index - 1],
        }
    }
}

/// One entry of a jail's parameter list while it is assembled.
#[derive(Clone, Debug)]
struct Entry<'r> {
    name: &'r [u8],
    /// `name` when it is one of jail(8)'s own names spelled exactly: the
    /// final [`Param`] borrows it instead of copying `name`.
    static_name: Option<ReservedName>,
    /// Whether `name` has a `no` component ([`has_no_component`]).
    has_no: bool,
    values: Values<'r>,
    is_var: bool,
    immutable: bool,
    bad: bool,
    gen: u32,
    span: Option<Span>,
}

impl Entry<'_> {
    /// [`equal_opts`] with the entry's name, given whether `name` has a
    /// `no` component: names of equal length must be equal, and names two
    /// bytes apart can only match if one of them has a `no` component.
    fn matches(&self, name: &[u8], has_no: bool) -> bool {
        match self.name.len().abs_diff(name.len()) {
            0 => same_name(self.name, name),
            2 => (self.has_no || has_no) && equal_opts(self.name, name),
            _ => false,
        }
    }
}

/// jail(8)'s per-jail slots for `name` and `jid` (`intparams[KP_NAME]`,
/// `intparams[KP_JID]`): which entry holds them, by position-independent id.
struct JailList<'r> {
    entries: Vec<Entry<'r>>,
    name_slot: bool,
    jid_slot: bool,
    failed: bool,
}

impl JailList<'_> {
    /// The parameters, without the variables, in order.
    fn into_params(mut self) -> Vec<Param> {
        let mut params = Vec::with_capacity(self.entries.iter().filter(|e| !e.is_var).count());
        for entry in self.entries.iter_mut().filter(|e| !e.is_var) {
            params.push(Param {
                name: match entry.static_name {
                    Some(name) => Cow::Borrowed(name.as_str().as_bytes()),
                    None => Cow::Owned(entry.name.to_vec()),
                },
                values: std::mem::take(&mut entry.values).into_values(),
                span: entry.span.take(),
            });
        }
        params
    }
}

/// A record's statements, lowered.
#[derive(Default)]
struct Lowered {
    arena: Arena,
    statements: Vec<Statement>,
}

impl Lowered {
    /// Lowers `statements`, replacing what was lowered before.
    fn lower(&mut self, statements: &[StatementRef], sources: &Sources, reserved: &ReservedNames) {
        self.arena.clear();
        self.statements.clear();
        for statement in statements {
            let tree = &sources.get(statement.file).parse.tree;
            if let Some(lowered) = lower_statement(
                tree,
                statement.file,
                statement.node,
                reserved,
                &mut self.arena,
            ) {
                self.statements.push(lowered);
            }
        }
    }
}

/// A wildcard record (including the global pseudo-jail), lowered once for
/// all the jails it applies to.
struct Wildcard {
    seq: usize,
    name: Vec<u8>,
    lowered: Lowered,
}

/// What the wildcards that come before a jail's own statements give the
/// jail. It is the same for every jail with the same identity parameter and
/// the same such wildcards, unless they report a problem (which names the
/// jail, so it is not cached).
struct Prefix<'w> {
    identity_is_jid: bool,
    /// Indexes of the wildcards.
    wildcards: Vec<usize>,
    /// The entries after the identity parameter; `None` when the wildcards
    /// report a problem.
    entries: Option<Vec<Entry<'w>>>,
    name_slot: bool,
    jid_slot: bool,
}

impl<'w> Prefix<'w> {
    fn new(wild: &'w [Wildcard], wildcards: &[usize], identity_is_jid: bool) -> Self {
        let mut diagnostics = Vec::new();
        let mut asm = Assembly {
            jail_name: b"",
            name_span: None,
            diagnostics: &mut diagnostics,
        };
        let mut list = JailList {
            entries: Vec::new(),
            name_slot: false,
            jid_slot: false,
            failed: false,
        };
        asm.add_identity(&mut list, identity_is_jid);
        for &w in wildcards {
            asm.add_statements(&mut list, &wild[w].lowered);
        }
        let clean = diagnostics.is_empty() && !list.failed;
        Prefix {
            identity_is_jid,
            wildcards: wildcards.to_vec(),
            entries: clean.then(|| list.entries.split_off(1)),
            name_slot: list.name_slot,
            jid_slot: list.jid_slot,
        }
    }
}

struct Assembly<'r, 'd> {
    jail_name: &'r [u8],
    name_span: Option<Span>,
    diagnostics: &'d mut Vec<Diagnostic>,
}

/// Below this many jails, assembly stays on the calling thread: starting
/// a thread costs more than the jails it would take.
const PARALLEL_JAILS: usize = 1024;

/// At most this many threads assemble jails.
const MAX_ASSEMBLY_THREADS: usize = 8;

/// How many threads assemble `jails` jails: one per processor for a large
/// configuration, each with at least half of [`PARALLEL_JAILS`] jails.
fn assembly_threads(jails: usize) -> usize {
    if jails < PARALLEL_JAILS {
        return 1;
    }
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(MAX_ASSEMBLY_THREADS)
        .min(jails / (PARALLEL_JAILS / 2))
}

/// What every jail's assembly reads.
struct Shared<'s> {
    sources: &'s Sources,
    target: Target,
    reserved: ReservedNames,
    /// The wildcard records (the global pseudo-jail too), lowered once.
    wild: Vec<Wildcard>,
    /// How many statements they hold together.
    wild_statements: usize,
}

/// Builds the jails of `records` (stage 2), on `threads` threads (by
/// default, as many as [`assembly_threads`] gives).
/// Each jail's assembly depends only on its own record and the wildcard
/// records, so the jail records are cut into runs of consecutive jails,
/// one per thread; the jails and diagnostics come out in record order
/// whatever the number of threads.
fn assemble(
    records: Vec<Record>,
    sources: &Sources,
    target: Target,
    threads: Option<usize>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Jail> {
    let reserved = ReservedNames::new(target);
    let wild: Vec<Wildcard> = records
        .iter()
        .enumerate()
        .filter(|(_, record)| is_wildcard_name(&record.name))
        .map(|(seq, record)| {
            let mut lowered = Lowered::default();
            lowered.lower(&record.statements, sources, &reserved);
            Wildcard {
                seq,
                name: record.name.clone(),
                lowered,
            }
        })
        .collect();
    let shared = Shared {
        sources,
        target,
        reserved,
        wild_statements: wild.iter().map(|w| w.lowered.statements.len()).sum(),
        wild,
    };
    let jails = records.len() - shared.wild.len();
    let threads = threads.unwrap_or_else(|| assembly_threads(jails));
    if threads <= 1 || jails < 2 {
        return assemble_run(&shared, records, 0, diagnostics);
    }
    let jobs: Vec<_> = (jail_runs(records, jails.div_ceil(threads)).into_iter())
        .map(|(seq, run)| {
            let shared = &shared;
            move || {
                let mut found = Vec::new();
                (assemble_run(shared, run, seq, &mut found), found)
            }
        })
        .collect();
    let results = crate::threads::side_by_side(jobs);
    let mut out = Vec::with_capacity(jails);
    for (run_jails, found) in results {
        out.extend(run_jails);
        diagnostics.extend(found);
    }
    out
}

/// Cuts `records` into runs of consecutive records holding `per_run`
/// jails each (wildcard records go with the run they fall in), each with
/// the position of its first record.
fn jail_runs(mut records: Vec<Record>, per_run: usize) -> Vec<(usize, Vec<Record>)> {
    let mut starts = vec![0];
    let mut jails_in_run = 0;
    for (seq, record) in records.iter().enumerate() {
        let is_jail = !is_wildcard_name(&record.name);
        if is_jail && jails_in_run == per_run {
            starts.push(seq);
            jails_in_run = 0;
        }
        jails_in_run += usize::from(is_jail);
    }
    // Split from the back: the first run stays where the records are.
    let mut runs: Vec<_> = (starts.iter().rev())
        .map(|&start| (start, records.split_off(start)))
        .collect();
    runs.reverse();
    runs
}

/// Builds the jails of `run`, consecutive records from position
/// `first_seq` on.
fn assemble_run(
    shared: &Shared<'_>,
    run: Vec<Record>,
    first_seq: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Jail> {
    let Shared {
        sources,
        target,
        reserved,
        wild,
        wild_statements,
    } = shared;
    let mut jails = Vec::with_capacity(run.len());
    // Reused for every jail's own statements.
    let mut own = Lowered::default();
    // The wildcards that come before this jail's own statements and before
    // the previous jail's, and what they give a jail.
    let (mut before, mut previous) = (Vec::new(), Vec::new());
    let mut prefix: Option<Prefix> = None;
    for (offset, record) in run.into_iter().enumerate() {
        if is_wildcard_name(&record.name) {
            continue;
        }
        let seq = first_seq + offset;
        own.lower(&record.statements, sources, reserved);
        let mut asm = Assembly {
            jail_name: &record.name,
            name_span: record.name_span.clone(),
            diagnostics,
        };
        let mut list = JailList {
            entries: Vec::with_capacity(2 + own.statements.len() + wild_statements),
            name_slot: false,
            jid_slot: false,
            failed: false,
        };
        let identity_is_jid = is_numeric_name(&record.name);
        asm.add_identity(&mut list, identity_is_jid);
        // Matching wildcards apply in record order, the jail's own
        // statements at the jail's place among them.
        let own_at = wild.partition_point(|w| w.seq < seq);
        std::mem::swap(&mut before, &mut previous);
        before.clear();
        before.extend((0..own_at).filter(|&w| wildcard_matches(&record.name, &wild[w].name)));
        let is_cached = |prefix: &Option<Prefix>| {
            prefix
                .as_ref()
                .is_some_and(|p| p.identity_is_jid == identity_is_jid && p.wildcards == before)
        };
        if !is_cached(&prefix) && before == previous && !before.is_empty() {
            // The second jail in a row with these wildcards: worth caching.
            prefix = Some(Prefix::new(wild, &before, identity_is_jid));
        }
        match prefix.as_ref().filter(|_| is_cached(&prefix)) {
            Some(Prefix {
                entries: Some(entries),
                name_slot,
                jid_slot,
                ..
            }) => {
                list.entries.extend(entries.iter().cloned());
                list.name_slot = *name_slot;
                list.jid_slot = *jid_slot;
            }
            _ => {
                for &w in &before {
                    asm.add_statements(&mut list, &wild[w].lowered);
                }
            }
        }
        asm.add_statements(&mut list, &own);
        for w in &wild[own_at..] {
            if wildcard_matches(&record.name, &w.name) {
                asm.add_statements(&mut list, &w.lowered);
            }
        }
        if target.backfills_numeric_name() && !list.name_slot {
            asm.add_identity(&mut list, false);
        }
        asm.expand(&mut list);
        let failed = list.failed;
        let params = list.into_params();
        jails.push(Jail {
            name: record.name,
            name_span: record.name_span,
            params,
            failed,
        });
    }
    jails
}

impl<'r> Assembly<'r, '_> {
    fn warn(
        &mut self,
        list: &mut JailList,
        code: &'static str,
        message: String,
        span: Option<Span>,
        help: Option<&str>,
    ) {
        list.failed = true;
        let jail = String::from_utf8_lossy(self.jail_name).into_owned();
        let Some(span) = span.or_else(|| self.name_span.clone()) else {
            return;
        };
        let mut diag = Diagnostic::new(
            code,
            Severity::Error,
            format!("jail `{jail}`: {message}"),
            span,
        )
        .with_jail_message(format!("{jail}: {message}"));
        if let Some(name_span) = &self.name_span {
            diag = diag.with_secondary(name_span.clone(), format!("in jail `{jail}`"));
        }
        if let Some(help) = help {
            diag = diag.with_help(help);
        }
        self.diagnostics.push(diag);
    }

    /// The implicit `name` or `jid` parameter from the block name.
    fn add_identity(&mut self, list: &mut JailList<'r>, jid: bool) {
        let (reserved, slot) = if jid {
            (ReservedName::JID, &mut list.jid_slot)
        } else {
            (ReservedName::NAME, &mut list.name_slot)
        };
        *slot = true;
        let span = self
            .name_span
            .clone()
            .unwrap_or_else(|| Span::new(FileId(0), 0..0));
        list.entries.push(Entry {
            name: reserved.as_str().as_bytes(),
            static_name: Some(reserved),
            has_no: false,
            values: Values {
                first: Some(PendingValue::literal(Cow::Borrowed(self.jail_name), span)),
                rest: Vec::new(),
            },
            is_var: false,
            immutable: true,
            bad: false,
            gen: 0,
            span: None,
        });
    }

    /// [`Assembly::add_statement`] for each statement of a record.
    fn add_statements(&mut self, list: &mut JailList<'r>, record: &'r Lowered) {
        for statement in &record.statements {
            self.add_statement(list, &record.arena, statement);
        }
    }

    /// jail(8)'s `add_param` for a statement.
    fn add_statement(
        &mut self,
        list: &mut JailList<'r>,
        arena: &'r Arena,
        statement: &'r Statement,
    ) {
        let name = arena.name(&statement.name);
        let values = &arena.strings[statement.values.clone()];
        let found = list
            .entries
            .iter()
            .position(|e| e.matches(name, statement.has_no));
        match found {
            Some(index) => {
                let entry = &list.entries[index];
                if entry.is_var != statement.is_var {
                    let message = format!(
                        "variable \"${}\" cannot have the same name as a parameter.",
                        String::from_utf8_lossy(name)
                    );
                    let secondary = entry.span.clone();
                    self.warn(
                        list,
                        "variable-named-like-parameter",
                        message,
                        Some(statement.span.clone()),
                        Some("rename the variable"),
                    );
                    if let (Some(span), Some(last)) = (secondary, self.diagnostics.last_mut()) {
                        last.secondary.push(crate::diag::Label {
                            span,
                            message: "the other definition".to_string(),
                        });
                    }
                    return;
                }
                if entry.immutable {
                    let message = format!(
                        "cannot redefine parameter \"{}\".",
                        String::from_utf8_lossy(entry.name)
                    );
                    self.warn(
                        list,
                        "redefined-identity",
                        message,
                        Some(statement.span.clone()),
                        Some("`name` comes from the block name (and `jid` from a numeric one); rename the block instead"),
                    );
                    return;
                }
                let entry = &mut list.entries[index];
                entry.name = name;
                entry.static_name = statement.static_name;
                entry.has_no = statement.has_no;
                if !statement.append || values.is_empty() {
                    entry.values.clear();
                }
                entry
                    .values
                    .extend(values.iter().map(|v| PendingValue::new(arena, v)));
                entry.span = Some(statement.span.clone());
            }
            None => {
                list.entries.push(Entry {
                    name,
                    static_name: statement.static_name,
                    has_no: statement.has_no,
                    values: {
                        let mut pending = Values::default();
                        pending.extend(values.iter().map(|v| PendingValue::new(arena, v)));
                        pending
                    },
                    is_var: statement.is_var,
                    immutable: false,
                    bad: false,
                    gen: 0,
                    span: Some(statement.span.clone()),
                });
                if let Some(reserved) = statement.reserved {
                    if statement.is_var {
                        let message = format!(
                            "variable \"${}\" cannot have the same name as a parameter.",
                            String::from_utf8_lossy(name)
                        );
                        self.warn(
                            list,
                            "variable-named-like-parameter",
                            message,
                            Some(statement.span.clone()),
                            Some("jail(8) reserves the names of its own parameters; rename the variable"),
                        );
                        return;
                    }
                    let last = list.entries.len() - 1;
                    match reserved.as_str() {
                        "name" => {
                            list.name_slot = true;
                            list.entries[last].immutable = true;
                        }
                        "jid" => {
                            list.jid_slot = true;
                            list.entries[last].immutable = true;
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// jail(8)'s variable resolution, step for step: entries are expanded
    /// in list order; an entry whose value still holds references is moved
    /// in front of the entry that needs it and expanded first.
    fn expand(&mut self, list: &mut JailList<'r>) {
        let mut pgen: u32 = 0;
        let mut p = 0;
        while p < list.entries.len() {
            pgen += 1;
            list.entries[p].gen = pgen;
            'find_vars: loop {
                let mut s = 0;
                while s < list.entries[p].values.len() {
                    // These borrow the lowered records, not the list.
                    let value = &list.entries[p].values[s];
                    let (vars, names): (&'r [VarRef], &'r [u8]) = (value.vars, value.names);
                    for (done, var) in vars.iter().enumerate() {
                        let name = &names[var.name.clone()];
                        match self.resolve(list, p, s, name, &var.span, pgen) {
                            Resolution::Done => {}
                            Resolution::Move(vp) => {
                                list.entries[vp].gen = pgen;
                                let moved = list.entries.remove(vp);
                                let at = if vp < p { p - 1 } else { p };
                                list.entries.insert(at, moved);
                                p = at;
                                continue 'find_vars;
                            }
                        }
                        list.entries[p].values[s].vars = &vars[done + 1..];
                    }
                    s += 1;
                }
                break;
            }
            p += 1;
        }
    }

    /// Substitutes one reference (the first of string `s` of entry `p`),
    /// or reports why it cannot be.
    fn resolve(
        &mut self,
        list: &mut JailList<'r>,
        p: usize,
        s: usize,
        var_name: &[u8],
        var_span: &Span,
        pgen: u32,
    ) -> Resolution {
        let found = list
            .entries
            .iter()
            .position(|e| same_name(e.name, var_name))
            .filter(|&i| !list.entries[i].values.is_empty());
        let names = |list: &JailList| {
            (
                String::from_utf8_lossy(list.entries[p].name).into_owned(),
                String::from_utf8_lossy(var_name).into_owned(),
            )
        };
        let Some(vp) = found else {
            let (param_name, var_name) = names(list);
            self.warn(
                list,
                "undefined-variable",
                format!("{param_name}: variable \"{var_name}\" not found"),
                Some(var_span.clone()),
                Some("define it (`$name = value;`) at top level, in a matching wildcard block or in this jail; a parameter given without a value cannot be referenced"),
            );
            mark_bad(list, pgen);
            return Resolution::Done;
        };
        if list.entries[vp].bad {
            list.failed = true;
            mark_bad(list, pgen);
            return Resolution::Done;
        }
        if list.entries[vp].gen == pgen {
            let (_, var_name) = names(list);
            self.warn(
                list,
                "variable-loop",
                format!("{var_name}: variable loop"),
                Some(var_span.clone()),
                Some("a variable refers to itself, directly or through other variables; `$x = \"$x/more\"` does not append"),
            );
            mark_bad(list, pgen);
            return Resolution::Done;
        }
        if list.entries[vp].values.iter().any(|v| !v.vars.is_empty()) {
            return Resolution::Move(vp);
        }
        // The first substitution into a string allocates its text: make
        // room for what the later references will add too, if known.
        let string = &list.entries[p].values[s];
        let extra = match string.text {
            Cow::Borrowed(_) => string.vars[1..]
                .iter()
                .filter_map(|var| {
                    let name = &string.names[var.name.clone()];
                    let entry = list.entries.iter().find(|e| same_name(e.name, name))?;
                    Some(entry.values.first.as_ref()?.text.len())
                })
                .sum(),
            Cow::Owned(_) => 0,
        };
        // `vp != p`: entry `p` has generation `pgen`, a loop otherwise.
        let (referenced, entry) = if vp < p {
            let (before, from_p) = list.entries.split_at_mut(p);
            (&before[vp], &mut from_p[0])
        } else {
            let (to_vp, from_vp) = list.entries.split_at_mut(vp);
            (&from_vp[0], &mut to_vp[p])
        };
        let string = &entry.values[s];
        if referenced.values.len() > 1 && (!string.text.is_empty() || string.vars.len() > 1) {
            let (param_name, _) = names(list);
            self.warn(
                list,
                "array-inline",
                format!("{param_name}: array cannot be substituted inline"),
                Some(var_span.clone()),
                Some("a variable with several values can only stand alone as a whole value (`ip4.addr = $addrs;`)"),
            );
            mark_bad(list, pgen);
            return Resolution::Done;
        }
        entry.values[s].substitute_first(&referenced.values[0].text, extra);
        if referenced.values.len() > 1 {
            let rest = referenced
                .values
                .iter()
                .skip(1)
                .map(|v| PendingValue::literal(v.text.clone(), v.span.clone()));
            entry.values.insert_after(s, rest);
        }
        Resolution::Done
    }
}

enum Resolution {
    Done,
    Move(usize),
}

fn mark_bad(list: &mut JailList, pgen: u32) {
    list.failed = true;
    for entry in &mut list.entries {
        if entry.gen == pgen {
            entry.bad = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jails assembled on several threads come out as on one: the same
    /// jails, parameters and diagnostics, in the same order, with
    /// wildcard records between and after the jails, failing jails and
    /// numeric names spread over the runs.
    #[test]
    fn threads_assemble_as_one() {
        use std::fmt::Write;
        let mut text = String::from("exec.clean;\npath = \"/j/$name\";\n");
        for i in 0..1500 {
            let _ = match i % 7 {
                0 => writeln!(text, "{i} {{ host.hostname = \"h$x{i}\"; }}"),
                1 => writeln!(text, "web{i} {{ $v = {i}; ip4.addr = \"10.0.0.$v\"; }}"),
                2 => writeln!(text, "web{i}.sub {{ persist; $a = $b; $b = $a; }}"),
                _ => writeln!(text, "j{i} {{ mount.devfs; exec.start += \"run {i}\"; }}"),
            };
            if i % 500 == 250 {
                let _ = writeln!(text, "* {{ exec.stop = \"stop $name\"; }}");
                let _ = writeln!(text, "\"web{i}.*\" {{ nopersist; }}");
            }
        }
        let load = |threads| {
            let main = MainFile::from_path("many.conf", text.clone().into_bytes());
            Config::build(vec![main], &NoFiles, Target::V15, Some(threads))
        };
        let one = load(1);
        assert_eq!(one.jails.len(), 1500);
        assert!(!one.fatal);
        assert!(one.diagnostics.len() > 400 && one.jails.iter().any(|j| j.failed));
        for threads in [2, 3, 8] {
            let many = load(threads);
            assert_eq!(many.jails, one.jails, "{threads} threads");
            assert_eq!(many.diagnostics, one.diagnostics, "{threads} threads");
        }
    }

    /// A parameter spelled as jail(8) names it borrows the static name; any
    /// other spelling (a `no` form, an unknown parameter) is copied.
    #[test]
    fn known_names_are_not_copied() {
        let text = b"j { path = /j; nopersist; exec.start = a, b; my.param; $v = 1; }";
        let config = Config::load(
            MainFile::from_path("names.conf", text.to_vec()),
            &NoFiles,
            Target::V15,
        );
        let names: Vec<_> = (config.jails[0].params.iter())
            .map(|param| {
                (
                    String::from_utf8_lossy(&param.name).into_owned(),
                    matches!(param.name, Cow::Borrowed(_)),
                )
            })
            .collect();
        let expected = [
            ("name", true),
            ("path", true),
            ("nopersist", false),
            ("exec.start", true),
            ("my.param", false),
        ];
        assert_eq!(
            names,
            expected.map(|(name, borrowed)| (name.to_string(), borrowed))
        );
        assert_eq!(config.jails[0].params[3].values.len(), 2);
    }

    /// An entry is written for every parameter and variable of every
    /// jail (and copied from the cached wildcard prefix): its size is
    /// most of a jail's assembly traffic.
    #[test]
    fn entries_stay_small() {
        assert_eq!(std::mem::size_of::<Entry<'_>>(), 152);
        assert_eq!(std::mem::size_of::<Option<ReservedName>>(), 2);
    }

    #[test]
    fn equal_opts_follows_jail() {
        assert!(equal_opts(b"persist", b"nopersist"));
        assert!(equal_opts(b"allow.mount", b"allow.nomount"));
        assert!(equal_opts(b"noallow.mount", b"allow.mount"));
        assert!(!equal_opts(b"noallow.mount", b"allow.nomount"));
        assert!(equal_opts(b"allow.mount.devfs", b"allow.mount.nodevfs"));
        assert!(!equal_opts(b"allow.mount", b"allow.mount.devfs"));
        assert!(equal_opts(b"nono", b"no"));
        assert!(equal_opts(b"", b"no"));
    }

    #[test]
    fn wildcards_follow_jail() {
        assert!(is_wildcard_name(b"*"));
        assert!(is_wildcard_name(b"foo.*"));
        assert!(is_wildcard_name(b"*.bar"));
        assert!(is_wildcard_name(b"a.*.c"));
        assert!(!is_wildcard_name(b"f*"));
        assert!(!is_wildcard_name(b"*x"));
        assert!(wildcard_matches(b"a.b", b"*"));
        assert!(wildcard_matches(b"foo.bar.baz", b"foo.*"));
        assert!(!wildcard_matches(b"foo", b"foo.*"));
        assert!(wildcard_matches(b"x.bar", b"*.bar"));
        assert!(!wildcard_matches(b"bar", b"*.bar"));
        assert!(!wildcard_matches(b"x.y.bar", b"*.bar"));
        assert!(wildcard_matches(b"a.", b"*.*"));
    }

    #[test]
    fn numeric_names_follow_strtol() {
        assert!(is_numeric_name(b"7"));
        assert!(is_numeric_name(b" 7"));
        assert!(is_numeric_name(b"-3"));
        assert!(!is_numeric_name(b"0"));
        assert!(!is_numeric_name(b"7 "));
        assert!(!is_numeric_name(b"0x10"));
        assert!(!is_numeric_name(b""));
        assert!(!is_numeric_name(b"+"));
    }
}
