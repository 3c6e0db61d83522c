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

use std::io;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Severity};
use crate::glob::{self, GlobError, GlobResult};
use crate::lexer::{piece_value, TokenKind};
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

/// One value of a parameter after expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    /// The bytes.
    pub text: Vec<u8>,
    /// The source string it was written as (for a list variable expanded
    /// into several values: that variable's value).
    pub span: Option<Span>,
}

/// One parameter of a jail after inheritance and expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The name as jail(8) prints it (the last spelling used).
    pub name: Vec<u8>,
    /// The values, in order; empty for a parameter given without a value.
    pub values: Vec<Value>,
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
                includes: Vec::new(),
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
            jails.extend(assemble(&records, target, &mut found));
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

/// A variable reference inside a string, at a byte position of its text.
#[derive(Clone, Debug)]
struct VarRef {
    name: Vec<u8>,
    pos: usize,
    span: Span,
}

/// One string (value) of a statement before expansion.
#[derive(Clone, Debug)]
struct CfString {
    text: Vec<u8>,
    vars: Vec<VarRef>,
    span: Span,
}

/// One parameter or variable statement.
#[derive(Clone, Debug)]
struct Statement {
    name: Vec<u8>,
    is_var: bool,
    append: bool,
    values: Vec<CfString>,
    span: Span,
}

/// A jail block or the global pseudo-jail.
#[derive(Debug)]
struct Record {
    name: Vec<u8>,
    name_span: Option<Span>,
    statements: Vec<Statement>,
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
    includes: Vec<IncludeDirective>,
}

/// One level of the file walk: the child nodes of a file or block.
struct Frame {
    file: FileId,
    children: Vec<NodeId>,
    next: usize,
    /// The record statements go to (`None`: top level).
    jail: Option<usize>,
    /// Include depth of this file.
    depth: usize,
}

impl RecordBuilder<'_> {
    fn read_main(&mut self, main: MainFile) {
        let parse = parser::parse_owned(main.text, self.target);
        let name = main.name.clone();
        let base = if main.is_stdin {
            IncludeBase::CurrentDir
        } else {
            IncludeBase::NameOf(name.clone().into_bytes())
        };
        let file = self.add_file(name, main.path, parse);
        self.walk(file, base);
    }

    fn add_file(&mut self, name: String, path: PathBuf, parse: parser::Parse) -> FileId {
        let failed = !parse.errors.is_empty();
        let file = self.sources.add(name, path, parse);
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
                diag =
                    diag.with_jail_message(jail_syntax_message(&source.name, source.text(), error));
            }
            self.diagnostics.push(diag);
        }
    }

    /// Walks a file's items with an explicit stack (blocks may nest deeply).
    fn walk(&mut self, root_file: FileId, root_base: IncludeBase) {
        let tree = &self.sources.get(root_file).parse.tree;
        let mut stack = vec![(
            Frame {
                file: root_file,
                children: tree.child_nodes(tree.root()).collect(),
                next: 0,
                jail: None,
                depth: 0,
            },
            root_base,
        )];
        while let Some((frame, _)) = stack.last_mut() {
            let Some(&node) = frame.children.get(frame.next) else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            let (file, jail, depth) = (frame.file, frame.jail, frame.depth);
            let tree = &self.sources.get(file).parse.tree;
            match tree.kind(node) {
                NodeKind::Statement => {
                    if let Some(statement) = lower_statement(tree, file, node) {
                        self.add_statement(jail, statement);
                    }
                }
                NodeKind::Include => {
                    let base = stack
                        .last()
                        .map(|(_, b)| b.clone())
                        .unwrap_or(IncludeBase::CurrentDir);
                    for (included, child_base) in
                        self.include(tree_include_values(tree, file, node), &base, depth)
                    {
                        let tree = &self.sources.get(included).parse.tree;
                        stack.push((
                            Frame {
                                file: included,
                                children: tree.child_nodes(tree.root()).collect(),
                                next: 0,
                                jail,
                                depth: depth + 1,
                            },
                            child_base,
                        ));
                        // Included files are read in order: later ones are
                        // pushed below earlier ones, see `include`.
                    }
                }
                NodeKind::JailBlock => {
                    let children: Vec<NodeId> = tree.child_nodes(node).collect();
                    let Some((own_name, name_span)) = block_name(tree, file, node) else {
                        continue;
                    };
                    let record = self.open_block(own_name, name_span, jail);
                    let base = stack
                        .last()
                        .map(|(_, b)| b.clone())
                        .unwrap_or(IncludeBase::CurrentDir);
                    stack.push((
                        Frame {
                            file,
                            children,
                            next: 0,
                            jail: Some(record),
                            depth,
                        },
                        base,
                    ));
                }
                _ => {}
            }
        }
    }

    /// Creates the record for a jail block. On 13 the record is created at
    /// the block's end, which (without nesting) is the same position.
    fn open_block(&mut self, own: Vec<u8>, name_span: Span, parent: Option<usize>) -> usize {
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
            statements: Vec::new(),
        });
        self.records.len() - 1
    }

    fn add_statement(&mut self, jail: Option<usize>, statement: Statement) {
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

    /// Resolves and reads the files of one `.include` statement. Returns
    /// them in reverse order, ready to be pushed on the walk stack.
    fn include(
        &mut self,
        values: Vec<CfString>,
        base: &IncludeBase,
        depth: usize,
    ) -> Vec<(FileId, IncludeBase)> {
        let mut files = Vec::new();
        for value in values {
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
                return Vec::new();
            }
            let pattern = base.resolve(&value.text);
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
                    return Vec::new();
                }
            };
            self.includes.push(IncludeDirective {
                span: value.span.clone(),
                pattern: pattern.clone(),
                is_glob,
                files: Vec::new(),
            });
            for path in paths {
                let name = String::from_utf8_lossy(&path).into_owned();
                let fs_path = bytes_to_path(&path);
                match self.loader.read(&fs_path) {
                    Ok(text) => {
                        let parse = parser::parse_owned(text, self.target);
                        let file = self.add_file(name, fs_path, parse);
                        if let Some(directive) = self.includes.last_mut() {
                            directive.files.push(file);
                        }
                        files.push((file, IncludeBase::NameOf(path)));
                    }
                    Err(error) => {
                        self.fatal = true;
                        self.diagnostics.push(
                            Diagnostic::error(
                                "include-not-found",
                                format!("cannot read included file `{name}`: {}", io_message(&error)),
                                value.span.clone(),
                            )
                            .with_help("a path without glob characters must exist; use a glob such as `dir/*.conf` to allow no match")
                            .with_jail_message(format!("{name}: {}", io_message(&error))),
                        );
                        // jail(8) exits at the first file it cannot open.
                        files.reverse();
                        return files;
                    }
                }
            }
        }
        files.reverse();
        files
    }
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
    NameOf(Vec<u8>),
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
fn jail_syntax_message(name: &str, text: &[u8], error: &parser::SyntaxError) -> String {
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
            format!("{name} line {}: unterminated comment", line_at(range.end))
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

/// A block's own name and its span; `None` when the name is broken.
fn block_name(tree: &SyntaxTree, file: FileId, node: NodeId) -> Option<(Vec<u8>, Span)> {
    let name_node = tree.child_node(node, NodeKind::JailName)?;
    let token = tree.token_range(name_node).start;
    let piece = *tree.tokens().get(token)?;
    if !piece.kind.is_piece() || piece.kind.is_variable() {
        return None;
    }
    let own = piece_value(piece.kind, tree.token_text(token as u32));
    Some((own, Span::new(file, piece.start..piece.end)))
}

/// Builds a statement from a `Statement` node; `None` if it is broken.
fn lower_statement(tree: &SyntaxTree, file: FileId, node: NodeId) -> Option<Statement> {
    if tree
        .descendants(node)
        .any(|n| tree.kind(n) == NodeKind::Error)
    {
        return None;
    }
    let name_node = tree.child_node(node, NodeKind::ParamName)?;
    let name_token = tree.token_range(name_node).start;
    let piece = tree.tokens()[name_token];
    let name = piece_value(piece.kind, tree.token_text(name_token as u32));
    let append = tree.child_token(node, TokenKind::PlusEq).is_some();
    let values = match tree.child_node(node, NodeKind::ValueList) {
        Some(list) => lower_values(tree, file, list),
        None => Vec::new(),
    };
    let range = tree.byte_range(node);
    Some(Statement {
        name,
        is_var: piece.kind.is_variable(),
        append,
        values,
        span: Span::new(file, range.start as u32..range.end as u32),
    })
}

fn tree_include_values(tree: &SyntaxTree, file: FileId, node: NodeId) -> Vec<CfString> {
    match tree.child_node(node, NodeKind::ValueList) {
        Some(list) => lower_values(tree, file, list),
        None => Vec::new(),
    }
}

fn lower_values(tree: &SyntaxTree, file: FileId, list: NodeId) -> Vec<CfString> {
    tree.child_nodes(list)
        .filter(|&n| tree.kind(n) == NodeKind::Value)
        .map(|value| {
            let mut text = Vec::new();
            let mut vars = Vec::new();
            for index in tree.token_range(value) {
                let token = tree.tokens()[index];
                if !token.kind.is_piece() {
                    continue;
                }
                let piece = piece_value(token.kind, tree.token_text(index as u32));
                if token.kind.is_variable() {
                    vars.push(VarRef {
                        name: piece,
                        pos: text.len(),
                        span: Span::new(file, token.start..token.end),
                    });
                } else {
                    text.extend_from_slice(&piece);
                }
            }
            let range = tree.byte_range(value);
            CfString {
                text,
                vars,
                span: Span::new(file, range.start as u32..range.end as u32),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Stage 2: assembly
// ---------------------------------------------------------------------------

/// Names jail(8) knows itself (its `intparams` table, without the internal
/// conversion entries). A variable may not be named like one of these.
fn reserved_names(target: Target) -> &'static [&'static str] {
    const COMMON: &[&str] = &[
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
    ];
    const WITH_ZFS: &[&str] = &[
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
        "zfs.dataset",
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
    ];
    if target >= Target::V15 {
        WITH_ZFS
    } else {
        COMMON
    }
}

/// jail(8)'s `equalopts`: the same parameter, allowing a `no` prefix on the
/// whole name or on any component after a common dotted prefix.
pub fn equal_opts(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
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

/// One entry of a jail's parameter list while it is assembled.
#[derive(Clone, Debug)]
struct Entry {
    name: Vec<u8>,
    values: Vec<CfString>,
    is_var: bool,
    immutable: bool,
    bad: bool,
    gen: u32,
    span: Option<Span>,
}

/// jail(8)'s per-jail slots for `name` and `jid` (`intparams[KP_NAME]`,
/// `intparams[KP_JID]`): which entry holds them, by position-independent id.
struct JailList {
    entries: Vec<Entry>,
    name_slot: bool,
    jid_slot: bool,
    failed: bool,
}

struct Assembly<'a> {
    target: Target,
    jail_name: &'a [u8],
    name_span: Option<Span>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

fn assemble(records: &[Record], target: Target, diagnostics: &mut Vec<Diagnostic>) -> Vec<Jail> {
    let wild: Vec<usize> = (0..records.len())
        .filter(|&i| is_wildcard_name(&records[i].name))
        .collect();
    let mut jails = Vec::new();
    for (seq, record) in records.iter().enumerate() {
        if is_wildcard_name(&record.name) {
            continue;
        }
        let mut asm = Assembly {
            target,
            jail_name: &record.name,
            name_span: record.name_span.clone(),
            diagnostics,
        };
        let mut list = JailList {
            entries: Vec::new(),
            name_slot: false,
            jid_slot: false,
            failed: false,
        };
        let identity_is_jid = is_numeric_name(&record.name);
        asm.add_identity(&mut list, identity_is_jid);
        let mut did_self = false;
        for &w in &wild {
            if seq < w && !did_self {
                for statement in &record.statements {
                    asm.add_statement(&mut list, statement);
                }
                did_self = true;
            }
            if wildcard_matches(&record.name, &records[w].name) {
                for statement in &records[w].statements {
                    asm.add_statement(&mut list, statement);
                }
            }
        }
        if !did_self {
            for statement in &record.statements {
                asm.add_statement(&mut list, statement);
            }
        }
        if target.backfills_numeric_name() && !list.name_slot {
            asm.add_identity(&mut list, false);
        }
        asm.expand(&mut list);
        jails.push(Jail {
            name: record.name.clone(),
            name_span: record.name_span.clone(),
            params: list
                .entries
                .into_iter()
                .filter(|e| !e.is_var)
                .map(|e| Param {
                    name: e.name,
                    values: e
                        .values
                        .into_iter()
                        .map(|s| Value {
                            text: s.text,
                            span: Some(s.span),
                        })
                        .collect(),
                    span: e.span,
                })
                .collect(),
            failed: list.failed,
        });
    }
    jails
}

impl Assembly<'_> {
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
    fn add_identity(&mut self, list: &mut JailList, jid: bool) {
        let (name, slot) = if jid {
            ("jid", &mut list.jid_slot)
        } else {
            ("name", &mut list.name_slot)
        };
        *slot = true;
        list.entries.push(Entry {
            name: name.as_bytes().to_vec(),
            values: vec![CfString {
                text: self.jail_name.to_vec(),
                vars: Vec::new(),
                span: self
                    .name_span
                    .clone()
                    .unwrap_or_else(|| Span::new(FileId(0), 0..0)),
            }],
            is_var: false,
            immutable: true,
            bad: false,
            gen: 0,
            span: None,
        });
    }

    /// jail(8)'s `add_param` for a statement.
    fn add_statement(&mut self, list: &mut JailList, statement: &Statement) {
        let found = list
            .entries
            .iter()
            .position(|e| equal_opts(&e.name, &statement.name));
        match found {
            Some(index) => {
                let entry = &list.entries[index];
                if entry.is_var != statement.is_var {
                    let message = format!(
                        "variable \"${}\" cannot have the same name as a parameter.",
                        String::from_utf8_lossy(&statement.name)
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
                        String::from_utf8_lossy(&entry.name)
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
                if entry.name != statement.name {
                    entry.name = statement.name.clone();
                }
                if !statement.append || statement.values.is_empty() {
                    entry.values.clear();
                }
                entry.values.extend(statement.values.iter().cloned());
                entry.span = Some(statement.span.clone());
            }
            None => {
                list.entries.push(Entry {
                    name: statement.name.clone(),
                    values: statement.values.clone(),
                    is_var: statement.is_var,
                    immutable: false,
                    bad: false,
                    gen: 0,
                    span: Some(statement.span.clone()),
                });
                let reserved = reserved_names(self.target)
                    .iter()
                    .find(|r| equal_opts(&statement.name, r.as_bytes()));
                if let Some(&reserved) = reserved {
                    if statement.is_var {
                        let message = format!(
                            "variable \"${}\" cannot have the same name as a parameter.",
                            String::from_utf8_lossy(&statement.name)
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
                    match reserved {
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
    fn expand(&mut self, list: &mut JailList) {
        let mut pgen: u32 = 0;
        let mut p = 0;
        while p < list.entries.len() {
            pgen += 1;
            list.entries[p].gen = pgen;
            'find_vars: loop {
                let mut s = 0;
                while s < list.entries[p].values.len() {
                    while !list.entries[p].values[s].vars.is_empty() {
                        let var = list.entries[p].values[s].vars[0].clone();
                        match self.resolve(list, p, s, &var, pgen) {
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
                        list.entries[p].values[s].vars.remove(0);
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
        list: &mut JailList,
        p: usize,
        s: usize,
        var: &VarRef,
        pgen: u32,
    ) -> Resolution {
        let found = list
            .entries
            .iter()
            .position(|e| e.name == var.name)
            .filter(|&i| !list.entries[i].values.is_empty());
        let param_name = String::from_utf8_lossy(&list.entries[p].name).into_owned();
        let var_name = String::from_utf8_lossy(&var.name).into_owned();
        let Some(vp) = found else {
            self.warn(
                list,
                "undefined-variable",
                format!("{param_name}: variable \"{var_name}\" not found"),
                Some(var.span.clone()),
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
            self.warn(
                list,
                "variable-loop",
                format!("{var_name}: variable loop"),
                Some(var.span.clone()),
                Some("a variable refers to itself, directly or through other variables; `$x = \"$x/more\"` does not append"),
            );
            mark_bad(list, pgen);
            return Resolution::Done;
        }
        if list.entries[vp].values.iter().any(|v| !v.vars.is_empty()) {
            return Resolution::Move(vp);
        }
        let referenced = &list.entries[vp].values;
        let target_string = &list.entries[p].values[s];
        if referenced.len() > 1 && (!target_string.text.is_empty() || target_string.vars.len() > 1)
        {
            self.warn(
                list,
                "array-inline",
                format!("{param_name}: array cannot be substituted inline"),
                Some(var.span.clone()),
                Some("a variable with several values can only stand alone as a whole value (`ip4.addr = $addrs;`)"),
            );
            mark_bad(list, pgen);
            return Resolution::Done;
        }
        let first = referenced[0].text.clone();
        let rest: Vec<CfString> = referenced[1..]
            .iter()
            .map(|v| CfString {
                text: v.text.clone(),
                vars: Vec::new(),
                span: v.span.clone(),
            })
            .collect();
        let string = &mut list.entries[p].values[s];
        let pos = var.pos.min(string.text.len());
        string.text.splice(pos..pos, first.iter().copied());
        for later in string.vars.iter_mut().skip(1) {
            later.pos += first.len();
        }
        let values = &mut list.entries[p].values;
        for (offset, extra) in rest.into_iter().enumerate() {
            values.insert(s + 1 + offset, extra);
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
