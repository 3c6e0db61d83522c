//! Losslessness: every input comes back byte for byte from the syntax tree.
//!
//! * every configuration file of the shared corpus, for every target;
//! * arbitrary bytes (proptest), through the same checks the `parse_model`
//!   fuzz target runs (`fuzz/src/lib.rs`, included below);
//! * generated jail.conf-like text (proptest) that must also parse without
//!   errors whenever the generator wrote nothing a target rejects.

use std::path::{Path, PathBuf};

use jailconf_parser::model::is_wildcard_name;
use jailconf_parser::syntax::NodeKind;
use jailconf_parser::{dump, parse, Config, MainFile, NoFiles, Target};
use proptest::prelude::*;

/// The fuzz target's checks, shared so CI runs them on stable.
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_logic;

use fuzz_logic::{check_input, check_tree};

// ---------------------------------------------------------------------------
// The shared corpus
// ---------------------------------------------------------------------------

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    assert!(
        dir.is_dir(),
        "the shared corpus must be beside the repository: {} is missing",
        dir.display()
    );
    dir
}

/// Result files and documentation beside the inputs.
fn is_config(path: &Path) -> bool {
    !matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("md" | "out" | "err" | "rc" | "tsv")
    )
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).expect("metadata");
        if meta.is_dir() {
            collect_files(&path, out);
        } else if meta.is_file() && is_config(&path) {
            out.push(path);
        }
    }
}

fn corpus_files() -> Vec<PathBuf> {
    let root = corpus_dir();
    let mut files = Vec::new();
    collect_files(&root, &mut files);
    // Fail loudly if the corpus is not the one we expect: 77 real files,
    // 400 generated files plus their include directories, FreeBSD's own
    // fixtures and the derived ones.
    let under = |sub: &str| {
        files
            .iter()
            .filter(|p| p.strip_prefix(&root).is_ok_and(|r| r.starts_with(sub)))
            .count()
    };
    assert!(under("real") >= 77, "corpus real/ is incomplete");
    assert!(under("generated") >= 400, "corpus generated/ is incomplete");
    assert!(
        files.iter().any(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .is_some_and(|d| d.to_string_lossy().ends_with(".d"))
        }),
        "corpus generated/gNNNN.d/ include files are missing"
    );
    assert!(
        under("freebsd-tests/derived") >= 1 && under("freebsd-tests") >= 3,
        "corpus freebsd-tests/ is incomplete"
    );
    files
}

#[test]
fn corpus_round_trips_for_every_target() {
    let root = corpus_dir();
    let files = corpus_files();
    let mut failures = Vec::new();
    let mut crlf = 0;
    let mut non_utf8 = 0;
    for path in &files {
        let text = std::fs::read(path).expect("read corpus file");
        crlf += usize::from(text.windows(2).any(|w| w == b"\r\n"));
        non_utf8 += usize::from(std::str::from_utf8(&text).is_err());
        let name = path.strip_prefix(&root).unwrap_or(path).display();
        for target in Target::ALL {
            let parsed = parse(&text, target);
            if let Err(e) = check_tree(&parsed.tree, &text) {
                failures.push(format!("{name} (target {target}): {e}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} (file, target) pairs do not round-trip:\n{}",
        failures.len(),
        files.len() * Target::ALL.len(),
        failures.join("\n")
    );
    // The corpus is supposed to hold these; make sure they were read as
    // bytes and checked.
    assert!(crlf > 0, "no CRLF file in the corpus");
    assert!(non_utf8 > 0, "no non-UTF-8 file in the corpus");
}

/// Every corpus file through the fuzz target's checks (lex, parse, model
/// with the fake loader, `jail -e`), and through the real loader from its
/// own path so that real includes are followed and round-tripped too.
#[test]
fn corpus_passes_the_fuzz_checks() {
    for path in corpus_files() {
        let text = std::fs::read(&path).expect("read corpus file");
        check_input(&text);
        for target in Target::ALL {
            let config = Config::load(
                MainFile::from_path(&path, text.clone()),
                &jailconf_parser::DiskLoader,
                target,
            );
            if let Err(e) = fuzz_logic::check_config(&config) {
                panic!("{} (target {target}): {e}", path.display());
            }
            let _ = dump::jail_e(&config, b" | ");
        }
    }
}

#[test]
fn fake_loader_reaches_every_include_outcome() {
    // The fixed files the fuzz loader serves must themselves be clean, so
    // that fuzzing explores the fuzzed text rather than broken includes.
    for (name, text) in [
        ("a", fuzz_logic::FAKE_A),
        ("b", fuzz_logic::FAKE_B),
        ("loop", fuzz_logic::FAKE_LOOP),
    ] {
        for target in [Target::V14, Target::V15] {
            let parsed = parse(text, target);
            assert!(parsed.errors.is_empty(), "{name}: {:?}", parsed.errors);
        }
    }
    let load = |text: &[u8]| {
        Config::load(
            MainFile::from_path(fuzz_logic::MAIN_PATH, text.to_vec()),
            &fuzz_logic::FakeLoader,
            Target::V15,
        )
    };
    let codes =
        |config: &Config| -> Vec<&str> { config.diagnostics.iter().map(|d| d.code).collect() };

    let glob = load(b".include \"*.conf\";\n");
    assert!(!glob.fatal, "{:?}", codes(&glob));
    let names: Vec<String> = glob
        .jails
        .iter()
        .map(|j| j.name_str().into_owned())
        .collect();
    // a.conf, then b.conf (which includes a.conf again, then its own jail).
    assert_eq!(names, ["nested", "nested", "b"]);
    let looped = load(b".include \"loop.conf\";\n");
    assert!(looped.fatal);
    assert!(codes(&looped).contains(&"include-depth"));
    let missing = load(b".include \"missing.conf\";\n");
    assert!(missing.fatal);
    assert!(codes(&missing).contains(&"include-not-found"));
    let glob_error = load(b".include \"globfail/*.conf\";\n");
    assert!(glob_error.fatal);
    assert!(codes(&glob_error).contains(&"include-glob-failed"));
}

// ---------------------------------------------------------------------------
// Arbitrary bytes
// ---------------------------------------------------------------------------

/// Bytes biased towards the characters that matter to the lexer, so that
/// random inputs build strings, comments, variables and blocks.
fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(&b"{};,=+$\"'\\#/*\n\r \tab.1_"[..]),
        1 => any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_round_trip(data in prop::collection::vec(any::<u8>(), 0..512)) {
        check_input(&data);
    }

    #[test]
    fn lexer_heavy_bytes_round_trip(data in prop::collection::vec(interesting_byte(), 0..512)) {
        check_input(&data);
    }
}

// ---------------------------------------------------------------------------
// Generated jail.conf-like text
// ---------------------------------------------------------------------------

/// What the generator wrote, besides the text.
#[derive(Clone, Debug, Default)]
struct Facts {
    /// Line breaks outside quotes and comments are CRLF (FreeBSD 13
    /// rejects the CR).
    crlf: bool,
    /// A block inside a block (FreeBSD 13 rejects it).
    nested: bool,
    /// Parameter and variable statements, `.include` included.
    statements: usize,
    /// Lone `;`.
    empty_statements: usize,
    /// Full names of the blocks, in order of their opening braces.
    blocks: Vec<Vec<u8>>,
}

impl Facts {
    fn valid_for(&self, target: Target) -> bool {
        target.new_grammar() || !(self.crlf || self.nested)
    }
}

/// Stands for a line break outside quotes and comments until the whole
/// file is rendered, LF or CRLF.
const LINE_BREAK: u8 = 0x01;

/// The line break ending a `#` or `//` comment: its CR, if any, is part of
/// the comment, so FreeBSD 13 accepts it.
const COMMENT_END: u8 = 0x02;

/// Whitespace and comments between two tokens (never empty).
fn trivia() -> impl Strategy<Value = Vec<u8>> {
    let item = prop_oneof![
        4 => Just(b" ".to_vec()),
        2 => Just(b"\t".to_vec()),
        3 => Just(vec![LINE_BREAK]),
        1 => "[ -~]{0,12}".prop_map(|c| [b"# ", c.as_bytes(), &[COMMENT_END]].concat()),
        1 => "[ -~]{0,12}".prop_map(|c| [b"// ", c.as_bytes(), &[COMMENT_END]].concat()),
        1 => "[ -~\n]{0,16}"
            .prop_filter("no end of comment", |c| !c.contains("*/"))
            .prop_map(|c| format!("/* {c} */").into_bytes()),
        1 => Just(["# non-ASCII: café \u{2013} ".as_bytes(), b"\xff", &[COMMENT_END]].concat()),
        1 => Just(b"/* \xff\xfe invalid UTF-8\r\n */".to_vec()),
    ];
    prop::collection::vec(item, 1..3).prop_map(|items| items.concat())
}

/// Optional trivia: nothing, or [`trivia`].
fn opt_trivia() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![1 => Just(Vec::new()), 1 => trivia()]
}

/// A bare word (one piece).
fn bare_word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9_]{0,6}(\\.[a-z][a-z0-9_]{0,5}){0,2}",
        1 => prop::sample::select(vec![
            "persist", "allow.mount", "allow.nomount", "exec.start", "ip4.addr",
            "host.hostname", "mount.devfs", "%%JAIL_IP%%", "[busybox-ip]",
            "@DOMAIN@", "em0|192.0.2.1", "fe80::1%em0", "10.0.0.1", "a!b&c(d)-e:f<g>h?i^j`k~l",
        ]).prop_map(str::to_string),
    ]
}

/// A variable name for `$name`.
fn var_name() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,6}"
}

/// A name for `${…}`: dots allowed.
fn braced_var_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,5}(\\.[a-z][a-z0-9_]{0,4}){0,2}"
}

/// The inside of a double-quoted string (no closing quote).
fn dq_body() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        4 => "[a-zA-Z0-9 ./:,;=+#{}*!@%&()-]{1,8}",
        2 => var_name().prop_map(|v| format!("${v}")),
        2 => braced_var_name().prop_map(|v| format!("${{{v}}}")),
        1 => prop::sample::select(vec![
            "\\\"", "\\\\", "\\$", "\\n", "\\t", "\\101", "\\x41", "\\\n", "\n",
            "'", "$5", "cost $ ", "// not a comment", "/* nor this */", "# nor this",
            "caf\u{e9}", "\r\n",
        ]).prop_map(str::to_string),
    ];
    prop::collection::vec(part, 0..5).prop_map(|parts| parts.concat())
}

/// The inside of a single-quoted string.
fn sq_body() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        4 => "[a-zA-Z0-9 ./:,;=+#{}*\"$!@%&()-]{1,8}",
        1 => prop::sample::select(vec!["\\'", "\\\\", "\\n", "\n", "$x", "${y}", "\\\n"])
            .prop_map(str::to_string),
    ];
    prop::collection::vec(part, 0..4).prop_map(|parts| parts.concat())
}

/// One piece that may start a string.
fn first_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => bare_word(),
        3 => dq_body().prop_map(|b| format!("\"{b}\"")),
        2 => sq_body().prop_map(|b| format!("'{b}'")),
        1 => var_name().prop_map(|v| format!("${v}")),
        1 => braced_var_name().prop_map(|v| format!("${{{v}}}")),
        1 => "(/[a-z0-9._-]{1,6}){1,3}",
        1 => prop::sample::select(vec!["\\ ", "\\;", "\\101", "\\x41", "\\$", "\\\\", "*"])
            .prop_map(str::to_string),
    ]
}

/// One value: a first piece and adjacent pieces, all one string.
fn value() -> impl Strategy<Value = String> {
    (first_piece(), prop::collection::vec(first_piece(), 0..3)).prop_map(|(first, rest)| {
        let mut text = first;
        for piece in rest {
            // `/` and `*` must not meet another `/` (a comment would start),
            // a bare piece must not run into `=` (never generated here).
            if (text.ends_with('/') || text.ends_with('*')) && piece.starts_with('/')
                || text.ends_with('/') && piece.starts_with('*')
                || text.ends_with('\\') && !text.ends_with("\\\\")
            {
                continue;
            }
            text.push_str(&piece);
        }
        text
    })
}

/// A parameter name: one piece that is not a variable.
fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => bare_word(),
        1 => "[a-z]{1,6}\\.[a-z]{1,6}".prop_map(|n| format!("\"{n}\"")),
        1 => "[a-z ]{1,8}".prop_map(|n| format!("'{n}'")),
    ]
}

/// A statement: `name;`, `name = v, …;`, `name += v;`, `name v;`,
/// `$var = v;`, `${a.b} += v;` or `.include "glob";`.
fn statement() -> impl Strategy<Value = Vec<u8>> {
    let values = prop::collection::vec((opt_trivia(), value(), opt_trivia()), 1..4);
    let name = prop_oneof![
        5 => param_name(),
        1 => var_name().prop_map(|v| format!("${v}")),
        1 => braced_var_name().prop_map(|v| format!("${{{v}}}")),
    ];
    let form = prop_oneof![Just(""), Just("="), Just("+="), Just(" ")];
    let include = (
        "[a-z0-9._-]{1,8}",
        prop::sample::select(vec!["*.conf", "*", "j?.conf", "[ab]*.conf"]),
        trivia(),
        opt_trivia(),
    )
        .prop_map(|(dir, glob, t1, t2)| {
            let pattern = format!("\"/nonexistent-{dir}/{glob}\"");
            [b".include", &t1[..], pattern.as_bytes(), &t2, b";"].concat()
        });
    let param = (name, opt_trivia(), form, trivia(), values, opt_trivia()).prop_map(
        |(name, t_name, form, t_op, values, t_end)| {
            let mut text = name.into_bytes();
            match form {
                // `name;`
                "" => text.extend_from_slice(&t_name),
                _ => {
                    if form == " " {
                        // The name-value form needs a separator.
                        text.extend_from_slice(&t_op);
                    } else {
                        text.extend_from_slice(&t_name);
                        text.extend_from_slice(form.as_bytes());
                    }
                    for (i, (before, value, after)) in values.into_iter().enumerate() {
                        if i > 0 {
                            text.push(b',');
                        }
                        text.extend_from_slice(&before);
                        text.extend_from_slice(value.as_bytes());
                        text.extend_from_slice(&after);
                    }
                }
            }
            text.extend_from_slice(&t_end);
            text.push(b';');
            text
        },
    );
    prop_oneof![8 => param, 1 => include]
}

/// A jail block name: one piece, and the name jail(8) gives it.
fn block_name() -> impl Strategy<Value = (String, Vec<u8>)> {
    prop_oneof![
        6 => "[a-z][a-z0-9_-]{0,6}".prop_map(|n| (n.clone(), n.into_bytes())),
        1 => Just(("*".to_string(), b"*".to_vec())),
        1 => prop::sample::select(vec!["web.*", "*.sub", "*.*", "my jail", "a.b"])
            .prop_map(|n| (format!("\"{n}\""), n.as_bytes().to_vec())),
        1 => "[1-9][0-9]{0,2}".prop_map(|n| (n.clone(), n.into_bytes())),
        1 => "[a-z]{1,5}".prop_map(|n| (format!("'{n}'"), n.into_bytes())),
    ]
}

/// The outline of a generated file, rendered by [`render`].
#[derive(Clone, Debug)]
enum Item {
    Statement(Vec<u8>),
    Empty,
    Block {
        /// As written, and the name jail(8) gives it.
        name: (String, Vec<u8>),
        before_brace: Vec<u8>,
        /// Each item with the trivia before it.
        items: Vec<(Vec<u8>, Item)>,
        before_close: Vec<u8>,
    },
}

fn item() -> impl Strategy<Value = Item> {
    let leaf = prop_oneof![
        6 => statement().prop_map(Item::Statement),
        1 => Just(Item::Empty),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        (
            block_name(),
            opt_trivia(),
            prop::collection::vec((opt_trivia(), inner), 0..5),
            opt_trivia(),
        )
            .prop_map(|(name, before_brace, items, before_close)| Item::Block {
                name,
                before_brace,
                items,
                before_close,
            })
    })
}

fn render(item: &Item, parent: Option<&[u8]>, out: &mut Vec<u8>, facts: &mut Facts) {
    match item {
        Item::Statement(text) => {
            out.extend_from_slice(text);
            facts.statements += 1;
        }
        Item::Empty => {
            out.push(b';');
            facts.empty_statements += 1;
        }
        Item::Block {
            name,
            before_brace,
            items,
            before_close,
        } => {
            let full = match parent {
                Some(parent) => {
                    facts.nested = true;
                    [parent, b".", &name.1].concat()
                }
                None => name.1.clone(),
            };
            facts.blocks.push(full.clone());
            out.extend_from_slice(name.0.as_bytes());
            out.extend_from_slice(before_brace);
            out.push(b'{');
            for (trivia, child) in items {
                out.extend_from_slice(trivia);
                render(child, Some(&full), out, facts);
            }
            out.extend_from_slice(before_close);
            out.push(b'}');
        }
    }
}

/// A whole generated file and what it holds. One file in four uses CRLF
/// line breaks.
fn config_text() -> impl Strategy<Value = (Vec<u8>, Facts)> {
    (
        opt_trivia(),
        prop::collection::vec((item(), trivia()), 0..8),
        any::<bool>(),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(leading, items, final_newline, crlf)| {
            let mut facts = Facts::default();
            let mut out = leading;
            for (item, after) in &items {
                render(item, None, &mut out, &mut facts);
                out.extend_from_slice(after);
            }
            if final_newline && !matches!(out.last(), Some(&(LINE_BREAK | COMMENT_END))) {
                out.push(LINE_BREAK);
            }
            facts.crlf = crlf && out.contains(&LINE_BREAK);
            let line_break: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            let mut text = Vec::with_capacity(out.len());
            for &b in &out {
                match b {
                    LINE_BREAK | COMMENT_END => text.extend_from_slice(line_break),
                    _ => text.push(b),
                }
            }
            (text, facts)
        })
}

fn count_nodes(tree: &jailconf_parser::syntax::SyntaxTree, kinds: &[NodeKind]) -> usize {
    tree.descendants(tree.root())
        .filter(|&n| kinds.contains(&tree.kind(n)))
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 384,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_configs_round_trip_and_parse((text, facts) in config_text()) {
        // The fuzz target's checks hold for these too.
        check_input(&text);
        for target in Target::ALL {
            let parsed = parse(&text, target);
            if let Err(e) = check_tree(&parsed.tree, &text) {
                panic!("target {target}: {e}\n{}", String::from_utf8_lossy(&text));
            }
            let config = Config::load(
                MainFile::from_path("/etc/jail.conf", text.clone()),
                &NoFiles,
                target,
            );
            let out = dump::jail_e(&config, b" | ");
            if !facts.valid_for(target) {
                prop_assert!(!parsed.errors.is_empty(), "target {target} should reject it");
                prop_assert!(config.fatal);
                continue;
            }
            prop_assert!(
                parsed.errors.is_empty(),
                "target {target}: {:?}\n--- input\n{}\n--- tree\n{}",
                parsed.errors,
                String::from_utf8_lossy(&text),
                parsed.tree.debug_dump()
            );
            let tree = &parsed.tree;
            prop_assert_eq!(count_nodes(tree, &[NodeKind::Error]), 0);
            prop_assert_eq!(
                count_nodes(tree, &[NodeKind::Statement, NodeKind::Include]),
                facts.statements
            );
            prop_assert_eq!(count_nodes(tree, &[NodeKind::EmptyStatement]), facts.empty_statements);
            prop_assert_eq!(count_nodes(tree, &[NodeKind::JailBlock]), facts.blocks.len());
            // Only globs are included, and they match nothing: nothing is
            // fatal, and the jails are the non-wildcard blocks in order.
            prop_assert!(!config.fatal, "{:?}", config.diagnostics);
            let expected: Vec<&[u8]> = facts
                .blocks
                .iter()
                .map(Vec::as_slice)
                .filter(|name| !is_wildcard_name(name))
                .collect();
            let got: Vec<&[u8]> = config.jails.iter().map(|j| j.name.as_slice()).collect();
            prop_assert_eq!(got, expected);
            prop_assert_eq!(out.is_empty(), config.jails.is_empty());
        }
    }
}
