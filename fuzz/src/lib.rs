//! The checks the `parse_model` fuzz target runs on every input.
//!
//! They live in a plain library (no libFuzzer types) so that
//! `parser/tests/roundtrip.rs` can include this file with `#[path]` and run
//! exactly the same checks under proptest on stable Rust, in CI.
//!
//! For arbitrary bytes and every [`Target`]:
//!
//! 1. lex: the tokens are non-empty, contiguous, and their texts
//!    concatenate to the input;
//! 2. parse: the parser's tokens are the lexer's, the tree is well formed
//!    (every node's children are contiguous, in order, and concatenate to
//!    its text; the root covers the whole input), errors are in bounds and
//!    sorted;
//! 3. load the model with [`FakeLoader`], which serves a few fixed files
//!    for any include (one of them includes itself, to reach the include
//!    depth limit), and check every included file's tree, that a syntax
//!    error makes the configuration fatal, and that every span points
//!    inside its file;
//! 4. render `jail -e`.
//!
//! Any violation panics, which is what the fuzzer reports.

use std::io;
use std::path::Path;

use jailconf_parser::glob::{GlobError, GlobResult};
use jailconf_parser::lexer::{self, piece_value, Tokens};
use jailconf_parser::source::{Sources, Span};
use jailconf_parser::syntax::{Element, NodeId, NodeKind, SyntaxTree};
use jailconf_parser::{dump, parse, Config, FileLoader, MainFile, Target};

/// The path the fuzzed text is loaded as.
pub const MAIN_PATH: &str = "/fuzz/jail.conf";

/// Served for any included path not named below.
pub const FAKE_A: &[u8] = b"# fake include A\n\
$inc = \"from-a\";\n\
inc.param = \"$inc\", 'lit$x', \"${name}\";\n\
nested { persist; path = \"/jails/${name}\"; ip4.addr += 10.0.0.1; }\n\
\"*\" { allow.mount; }\n";

/// Served for an included file named `b.conf`: includes `a.conf` beside it.
pub const FAKE_B: &[u8] = b".include \"a.conf\";\r\n\
b { ip4.addr += 10.0.0.1, 10.0.0.2; exec.start = \"/bin/sh /etc/rc\"; }\r\n";

/// Served for any included path whose file name contains `loop`: it
/// includes itself until the depth limit.
pub const FAKE_LOOP: &[u8] = b"loop_param = \"x\";\n.include \"loop.conf\";\n";

/// An in-memory [`FileLoader`] that serves fixed files for any include.
///
/// * file names containing `missing` do not exist, `denied` cannot be read;
/// * `loop…` includes itself, `b.conf` includes `a.conf`, anything else is
///   [`FAKE_A`];
/// * a pattern with `*`, `?` or `[` matches `a.conf` and `b.conf` in its
///   directory; a pattern containing `globfail` fails like glob(3) on an
///   unreadable directory.
#[derive(Clone, Copy, Debug, Default)]
pub struct FakeLoader;

impl FileLoader for FakeLoader {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.contains("missing") {
            Err(io::Error::from(io::ErrorKind::NotFound))
        } else if name.contains("denied") {
            Err(io::Error::from(io::ErrorKind::PermissionDenied))
        } else if name.contains("loop") {
            Ok(FAKE_LOOP.to_vec())
        } else if name == "b.conf" {
            Ok(FAKE_B.to_vec())
        } else {
            Ok(FAKE_A.to_vec())
        }
    }

    fn glob(&self, pattern: &[u8]) -> Result<GlobResult, GlobError> {
        if pattern.windows(8).any(|w| w == b"globfail") {
            return Err(GlobError {
                path: pattern.to_vec(),
                kind: io::ErrorKind::Other,
                message: "Input/output error".to_string(),
            });
        }
        let has_magic = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
        if !has_magic {
            return Ok(GlobResult {
                has_magic,
                matches: Vec::new(),
            });
        }
        let dir = match pattern.iter().rposition(|&b| b == b'/') {
            Some(slash) => &pattern[..=slash],
            None => &[][..],
        };
        let matches = [&b"a.conf"[..], b"b.conf"]
            .iter()
            .map(|name| [dir, name].concat())
            .collect();
        Ok(GlobResult { has_magic, matches })
    }
}

/// Checks that `tokens` are non-empty, contiguous and cover all of `input`.
pub fn check_tokens(tokens: &Tokens, input: &[u8]) -> Result<(), String> {
    let mut at = 0usize;
    let mut rebuilt = Vec::with_capacity(input.len());
    for (i, token) in tokens.iter().enumerate() {
        if token.start as usize != at {
            return Err(format!(
                "token {i} ({:?}) starts at {} but the previous one ended at {at}",
                token.kind, token.start
            ));
        }
        if token.end <= token.start {
            return Err(format!(
                "token {i} ({:?}) is empty or reversed: {}..{}",
                token.kind, token.start, token.end
            ));
        }
        if token.end as usize > input.len() {
            return Err(format!(
                "token {i} ({:?}) ends at {} past the input ({} bytes)",
                token.kind,
                token.end,
                input.len()
            ));
        }
        rebuilt.extend_from_slice(&input[token.range()]);
        at = token.end as usize;
    }
    if at != input.len() {
        return Err(format!(
            "tokens stop at byte {at} of {} (the rest is lost)",
            input.len()
        ));
    }
    if rebuilt != input {
        return Err("the token texts do not concatenate to the input".to_string());
    }
    Ok(())
}

/// Checks that `tree` reproduces `input` byte for byte and is well formed:
/// the root covers everything, and the children of every node (nodes and
/// its own tokens, via [`SyntaxTree::children`]) are in order, contiguous,
/// without gaps or overlaps, and concatenate to the node's text.
pub fn check_tree(tree: &SyntaxTree, input: &[u8]) -> Result<(), String> {
    if tree.text() != input {
        return Err("the tree's text differs from the input".to_string());
    }
    check_tokens(tree.tokens(), input)?;
    if tree.node_count() == 0 {
        return Err("the tree has no root node".to_string());
    }
    let root = tree.root();
    if tree.byte_range(root) != (0..input.len()) {
        return Err(format!(
            "the root covers {:?}, not the whole input 0..{}",
            tree.byte_range(root),
            input.len()
        ));
    }
    if tree.token_range(root) != (0..tree.tokens().len()) {
        return Err(format!(
            "the root owns tokens {:?}, not all {}",
            tree.token_range(root),
            tree.tokens().len()
        ));
    }
    // Walk with an explicit stack: trees can be very deep.
    let mut visited = 0usize;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        visited += 1;
        let range = tree.token_range(node);
        if range.start > range.end || range.end > tree.tokens().len() {
            return Err(format!("node {node:?} has a bad token range {range:?}"));
        }
        let mut next = range.start;
        let mut text = Vec::new();
        let children = tree.children(node);
        for element in &children {
            match *element {
                Element::Token(t) => {
                    if t as usize != next {
                        return Err(format!(
                            "node {node:?} ({:?}): token child {t} where token {next} was expected",
                            tree.kind(node)
                        ));
                    }
                    text.extend_from_slice(tree.token_text(t));
                    next += 1;
                }
                Element::Node(child) => {
                    let child_range = tree.token_range(child);
                    if child_range.start != next || child_range.end > range.end {
                        return Err(format!(
                            "node {node:?} ({:?}, tokens {range:?}): child {child:?} ({:?}) has tokens {child_range:?}, expected to start at {next}",
                            tree.kind(node),
                            tree.kind(child)
                        ));
                    }
                    text.extend_from_slice(tree.node_text(child));
                    next = child_range.end;
                }
            }
        }
        if next != range.end {
            return Err(format!(
                "node {node:?} ({:?}): children stop at token {next}, the node ends at {}",
                tree.kind(node),
                range.end
            ));
        }
        if text != tree.node_text(node) {
            return Err(format!(
                "node {node:?} ({:?}): its children do not concatenate to its text",
                tree.kind(node)
            ));
        }
        for element in children.iter().rev() {
            if let Element::Node(child) = *element {
                stack.push(child);
            }
        }
    }
    if visited != tree.node_count() {
        return Err(format!(
            "{visited} nodes reachable from the root, but the tree has {}",
            tree.node_count()
        ));
    }
    let all: Vec<NodeId> = tree.descendants(root).collect();
    if all.len() != tree.node_count() {
        return Err(format!(
            "the root has {} descendants, but the tree has {} nodes",
            all.len(),
            tree.node_count()
        ));
    }
    check_jail_names(tree)
}

/// Checks the jail names the parser recorded against the tokens: a block
/// has one exactly when its `JailName` starts with a piece that is not a
/// variable, and it is that piece's value; looking them up in order gives
/// the same as looking each up alone.
fn check_jail_names(tree: &SyntaxTree) -> Result<(), String> {
    let mut cursor = 0;
    for node in tree.descendants(tree.root()) {
        let expected = (tree.kind(node) == NodeKind::JailBlock)
            .then(|| tree.child_node(node, NodeKind::JailName))
            .flatten()
            .and_then(|name| tree.tokens().get(tree.token_range(name).start))
            .filter(|piece| piece.kind.is_piece() && !piece.kind.is_variable())
            .map(|piece| {
                let text = &tree.text()[piece.range()];
                (piece_value(piece.kind, text), piece.start..piece.end)
            });
        let recorded = tree
            .jail_name(node)
            .map(|(name, piece)| (name.to_vec(), piece));
        if recorded != expected {
            return Err(format!(
                "node {node:?}: recorded jail name {recorded:?}, the tokens give {expected:?}"
            ));
        }
        let in_order = tree.jail_name_in_order(node, &mut cursor);
        if in_order.map(|(name, piece)| (name.to_vec(), piece)) != recorded {
            return Err(format!(
                "node {node:?}: the in-order jail name lookup differs"
            ));
        }
    }
    Ok(())
}

fn check_span(sources: &Sources, span: &Span, what: &str) -> Result<(), String> {
    if span.file.0 as usize >= sources.len() {
        return Err(format!("{what}: span in unknown file {:?}", span.file));
    }
    let len = sources.get(span.file).text().len();
    if span.range.start > span.range.end || span.range.end as usize > len {
        return Err(format!(
            "{what}: span {:?} outside its file of {len} bytes",
            span.range
        ));
    }
    Ok(())
}

/// Checks a loaded configuration: every file's tree, and every span.
pub fn check_config(config: &Config) -> Result<(), String> {
    for (id, source) in config.sources.iter() {
        check_tree(&source.parse.tree, source.text())
            .map_err(|e| format!("file {id:?} ({}): {e}", source.name))?;
        if !source.parse.errors.is_empty() && !config.fatal {
            return Err(format!(
                "file {} has syntax errors but the configuration is not fatal",
                source.name
            ));
        }
    }
    for diag in &config.diagnostics {
        let what = format!("diagnostic {} ({})", diag.code, diag.message);
        check_span(&config.sources, &diag.primary.span, &what)?;
        for label in &diag.secondary {
            check_span(&config.sources, &label.span, &what)?;
        }
    }
    for jail in &config.jails {
        let name = jail.name_str();
        if let Some(span) = &jail.name_span {
            check_span(&config.sources, span, &format!("jail {name}"))?;
        }
        for param in &jail.params {
            let what = format!("jail {name}, param {}", param.name_str());
            if let Some(span) = &param.span {
                check_span(&config.sources, span, &what)?;
            }
            for value in &param.values {
                if let Some(span) = &value.span {
                    check_span(&config.sources, span, &what)?;
                }
            }
        }
    }
    Ok(())
}

/// Everything the fuzz target checks, for one input and one target.
pub fn check_input_for(data: &[u8], target: Target) {
    let tokens = lexer::lex(data, target);
    if let Err(e) = check_tokens(&tokens, data) {
        panic!("lex ({target}): {e}");
    }

    let parsed = parse(data, target);
    if parsed.tree.tokens() != &tokens {
        panic!("parse ({target}): the parser's tokens differ from the lexer's");
    }
    if let Err(e) = check_tree(&parsed.tree, data) {
        panic!("parse ({target}): {e}");
    }
    for pair in parsed.errors.windows(2) {
        let key = |e: &jailconf_parser::SyntaxError| (e.range.start, e.range.end);
        assert!(
            key(&pair[0]) <= key(&pair[1]),
            "parse ({target}): errors not sorted"
        );
    }
    for error in &parsed.errors {
        assert!(
            error.range.start <= error.range.end && error.range.end as usize <= data.len(),
            "parse ({target}): error {:?} out of bounds",
            error.range
        );
    }

    let config = Config::load(
        MainFile::from_path(MAIN_PATH, data.to_vec()),
        &FakeLoader,
        target,
    );
    if !parsed.errors.is_empty() {
        assert!(
            config.fatal,
            "load ({target}): a file with syntax errors must be fatal"
        );
    }
    if let Err(e) = check_config(&config) {
        panic!("load ({target}): {e}");
    }

    let out = dump::jail_e(&config, b" | ");
    assert!(
        out.is_empty() == config.jails.is_empty() && (out.is_empty() || out.ends_with(b"\n")),
        "jail -e ({target}): {} jails but {} bytes of output",
        config.jails.len(),
        out.len()
    );
}

/// [`check_input_for`] for every target.
pub fn check_input(data: &[u8]) {
    for target in Target::ALL {
        check_input_for(data, target);
    }
}
