//! Hostile inputs: nothing panics or hangs, and the results still make
//! sense. Every input goes through the whole pipeline (lex, parse,
//! `Config::load`, `jail -e`).
//!
//! The sizes are the real ones (1 MB of garbage, a 50 MB line, 10,000
//! nested blocks, 100,000 appends, a 10,000-deep variable chain, 100,000
//! jails, 100,000 `}`), and the whole file takes about 15 s of CPU in a
//! debug build.

use std::io;
use std::path::Path;

use jailconf_parser::glob::{GlobError, GlobResult};
use jailconf_parser::lexer::{self, TokenKind};
use jailconf_parser::model::MAX_INCLUDE_DEPTH;
use jailconf_parser::parser::SyntaxErrorKind;
use jailconf_parser::source::FileId;
use jailconf_parser::{dump, parse, Config, DiskLoader, FileLoader, Jail, MainFile, Parse, Target};

/// A loader with nothing on it.
struct NoFiles;

impl FileLoader for NoFiles {
    fn read(&self, _path: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::from(io::ErrorKind::NotFound))
    }

    fn glob(&self, _pattern: &[u8]) -> Result<GlobResult, GlobError> {
        Ok(GlobResult {
            has_magic: true,
            matches: Vec::new(),
        })
    }
}

/// What the pipeline produced for one input.
struct Outcome {
    config: Config,
    jail_e: Vec<u8>,
}

impl Outcome {
    /// The parse of the input (the main file of the configuration).
    fn parse(&self) -> &Parse {
        &self.config.sources.get(FileId(0)).parse
    }

    fn jail(&self, name: &str) -> &Jail {
        self.config
            .jails
            .iter()
            .find(|j| j.name == name.as_bytes())
            .unwrap_or_else(|| panic!("no jail {name}"))
    }

    fn values(&self, jail: &str, param: &str) -> Vec<&[u8]> {
        self.jail(jail)
            .param(param)
            .unwrap_or_else(|| panic!("jail {jail} has no {param}"))
            .values
            .iter()
            .map(|v| v.text.as_slice())
            .collect()
    }

    fn codes(&self) -> Vec<&'static str> {
        self.config.diagnostics.iter().map(|d| d.code).collect()
    }
}

/// Checks that the tokens cover the input exactly, in order, without
/// building the concatenation (inputs can be large).
fn assert_lossless_tokens(tokens: &lexer::Tokens, text: &[u8]) {
    let mut at = 0u32;
    for token in tokens {
        assert_eq!(token.start, at, "gap or overlap before {token:?}");
        assert!(token.end > token.start, "empty token {token:?}");
        at = token.end;
    }
    assert_eq!(at as usize, text.len(), "tokens do not reach the end");
}

/// Lex, parse, load and print `text` as `/robust/jail.conf`, with no
/// other file readable.
fn run(text: &[u8], target: Target) -> Outcome {
    run_with(text, target, &NoFiles)
}

fn run_with(text: &[u8], target: Target, loader: &dyn FileLoader) -> Outcome {
    let tokens = lexer::lex(text, target);
    assert_lossless_tokens(&tokens, text);
    // `Config::load` parses the text; its parse is checked against the
    // lexer's tokens rather than parsing the text a second time.
    let config = Config::load(
        MainFile::from_path("/robust/jail.conf", text.to_vec()),
        loader,
        target,
    );
    let parse = &config.sources.get(FileId(0)).parse;
    assert!(parse.tree.text() == text, "the tree must hold the input");
    assert!(
        parse.tree.tokens() == &tokens,
        "parse tokens differ from lex tokens"
    );
    let root = parse.tree.root();
    assert_eq!(
        parse.tree.byte_range(root),
        0..text.len(),
        "the root must cover the input"
    );
    assert_eq!(parse.tree.token_range(root), 0..tokens.len());
    assert!(
        parse.errors.is_empty() || config.fatal,
        "syntax errors must be fatal"
    );
    assert!(
        parse
            .errors
            .iter()
            .all(|e| e.range.start <= e.range.end && e.range.end as usize <= text.len()),
        "error ranges must lie in the input"
    );
    let jail_e = dump::jail_e(&config, b" | ");
    Outcome { config, jail_e }
}

/// A fixed-seed xorshift64* generator: the same bytes on every run.
fn pseudo_random_bytes(len: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn check_garbage(len: usize) {
    let text = pseudo_random_bytes(len, 0x6a61_696c_636f_6e66);
    for target in Target::ALL {
        let out = run(&text, target);
        assert!(out.config.fatal);
        let errors = &out.parse().errors;
        assert!(errors.len() > len / 1000, "{} errors", errors.len());
        assert!(errors
            .iter()
            .any(|e| e.kind == SyntaxErrorKind::StrayCharacter));
        assert!(errors
            .iter()
            .any(|e| e.kind == SyntaxErrorKind::UnexpectedToken));
        // jail(8) stops at its first syntax error: only one of ours
        // carries jail(8)'s message.
        let syntax = |code: &str| {
            matches!(
                code,
                "syntax-error"
                    | "stray-character"
                    | "unterminated-string"
                    | "unterminated-comment"
                    | "unterminated-variable"
            )
        };
        let with_message = out
            .config
            .diagnostics
            .iter()
            .filter(|d| syntax(d.code) && d.jail_message.is_some())
            .count();
        assert_eq!(with_message, 1);
    }
}

#[test]
fn binary_garbage_64_kilobytes() {
    check_garbage(64 << 10);
}

/// 1 MB of garbage has about 9,500 syntax errors, each with a hint.
#[test]
fn binary_garbage_one_megabyte() {
    check_garbage(1 << 20);
}

#[test]
fn fifty_megabyte_single_line() {
    const LEN: usize = 50 << 20;
    let mut text = b"j { exec.start = ".to_vec();
    let value = text.len()..text.len() + LEN;
    text.resize(value.end, b'a');
    text.extend_from_slice(b"; }");
    let out = run(&text, Target::V15);
    assert!(out.parse().errors.is_empty(), "{:?}", out.parse().errors);
    assert!(!out.config.fatal);
    let values = out.values("j", "exec.start");
    assert_eq!(values.len(), 1);
    assert!(
        values[0] == &text[value.clone()],
        "the value is the 50 MB word"
    );
    let prefix = b"name=j | exec.start=";
    assert_eq!(out.jail_e.len(), prefix.len() + LEN + 1);
    assert!(out.jail_e.starts_with(prefix));
    assert!(out.jail_e[prefix.len()..prefix.len() + LEN] == text[value]);
    assert!(out.jail_e.ends_with(b"a\n"));
}

#[test]
fn ten_thousand_nested_blocks() {
    const DEPTH: usize = 10_000;
    let mut text = b"a { ".repeat(DEPTH);
    text.extend_from_slice(b"deepest = yes; ");
    text.extend_from_slice(&b"} ".repeat(DEPTH));
    // One new-grammar target: the names are quadratic in size (the deepest
    // is 20 KB, `jail -e` prints 100 MB), slow in debug builds.
    let out = run(&text, Target::V15);
    assert!(
        out.parse().errors.is_empty(),
        "{:?}",
        &out.parse().errors[..1]
    );
    assert!(!out.config.fatal);
    let jails = &out.config.jails;
    assert_eq!(jails.len(), DEPTH);
    // Parents first, in the order of the opening braces.
    assert_eq!(jails[0].name, b"a");
    assert_eq!(jails[1].name, b"a.a");
    let deepest = jails.last().unwrap();
    assert_eq!(deepest.name.split(|&b| b == b'.').count(), DEPTH);
    assert!(deepest.name.split(|&b| b == b'.').all(|c| c == b"a"));
    let param = deepest
        .param("deepest")
        .expect("the deepest jail has its parameter");
    assert_eq!(*param.values[0].text, *b"yes");
    assert!(jails[..DEPTH - 1]
        .iter()
        .all(|j| j.param("deepest").is_none()));
    assert_eq!(out.jail_e.iter().filter(|&&b| b == b'\n').count(), DEPTH);
    // FreeBSD 13 rejects every inner `{`, and the blocks do not nest.
    let out = run(&text, Target::V13);
    assert!(out.config.fatal);
    assert_eq!(out.parse().errors.len(), DEPTH - 1);
    assert_eq!(out.config.jails.len(), DEPTH);
    assert!(out.config.jails.iter().all(|j| j.name == b"a"));
}

/// The README promises that no input overflows the stack; the tree's
/// debug rendering must not recurse per nesting level either (2,000 levels
/// in a 128 KB thread).
#[test]
fn debug_dump_of_deep_nesting_does_not_overflow_the_stack() {
    const DEPTH: usize = 2_000;
    let mut text = b"a{".repeat(DEPTH);
    text.extend_from_slice(&b"}".repeat(DEPTH));
    let parsed = parse(&text, Target::V15);
    assert!(parsed.errors.is_empty());
    let dump = std::thread::Builder::new()
        .stack_size(128 << 10)
        .spawn(move || parsed.tree.debug_dump())
        .expect("spawn")
        .join()
        .expect("debug_dump");
    let blocks = dump
        .lines()
        .filter(|l| l.trim_start().starts_with("JailBlock@"))
        .count();
    assert_eq!(blocks, DEPTH);
}

#[test]
fn hundred_thousand_appends_to_one_parameter() {
    const COUNT: usize = 100_000;
    let mut text = b"ip4.addr = 10.255.255.255;\nj {\n".to_vec();
    for i in 0..COUNT {
        text.extend_from_slice(format!("\tip4.addr += 10.0.{}.{};\n", i / 256, i % 256).as_bytes());
    }
    text.extend_from_slice(b"}\n");
    for target in [Target::V13, Target::V15] {
        let out = run(&text, target);
        assert!(out.parse().errors.is_empty());
        let values = out.values("j", "ip4.addr");
        // The global `=` comes first, then every `+=` of the jail.
        assert_eq!(values.len(), COUNT + 1);
        assert_eq!(values[0], b"10.255.255.255");
        assert_eq!(values[1], b"10.0.0.0");
        assert_eq!(values[COUNT], b"10.0.390.159");
        assert_eq!(
            out.jail_e.iter().filter(|&&b| b == b',').count(),
            COUNT,
            "one comma between each pair of values"
        );
    }
}

#[test]
fn variable_chain_ten_thousand_deep() {
    const DEPTH: usize = 10_000;
    let mut text = Vec::new();
    for i in 0..DEPTH - 1 {
        text.extend_from_slice(format!("$v{i} = \"$v{}\";\n", i + 1).as_bytes());
    }
    text.extend_from_slice(format!("$v{} = \"end\";\n", DEPTH - 1).as_bytes());
    text.extend_from_slice(b"j { path = \"/jails/$v0\"; host.hostname = \"${v0}.$v5000\"; }\n");
    // jail(8)'s resolution moves each definition in front of its user
    // and looks names up linearly: quadratic in the depth, like jail(8).
    let out = run(&text, Target::V15);
    assert!(out.parse().errors.is_empty());
    assert!(!out.config.has_errors(), "{:?}", out.codes());
    assert_eq!(out.values("j", "path"), [b"/jails/end"]);
    assert_eq!(out.values("j", "host.hostname"), [b"end.end"]);
    // The variables are not parameters.
    assert_eq!(out.jail("j").params.len(), 3, "name, path, host.hostname");
    assert_eq!(
        out.jail_e,
        b"name=j | path=/jails/end | host.hostname=end.end\n"
    );
}

#[test]
fn hundred_thousand_jails() {
    const COUNT: usize = 100_000;
    let mut text = b"path = \"/jails/$name\";\nexec.start = \"/bin/sh /etc/rc\";\n".to_vec();
    for i in 0..COUNT {
        text.extend_from_slice(
            format!("j{i} {{ host.hostname = \"j{i}.example\"; }}\n").as_bytes(),
        );
    }
    for target in [Target::V13, Target::V15] {
        let out = run(&text, target);
        assert!(out.parse().errors.is_empty());
        assert!(!out.config.has_errors());
        assert_eq!(out.config.jails.len(), COUNT);
        for i in [0, 1, COUNT / 2, COUNT - 1] {
            let name = format!("j{i}");
            assert_eq!(out.config.jails[i].name, name.as_bytes());
            assert_eq!(
                out.values(&name, "path"),
                [format!("/jails/{name}").as_bytes()]
            );
            assert_eq!(
                out.values(&name, "host.hostname"),
                [format!("{name}.example").as_bytes()]
            );
        }
        assert_eq!(out.jail_e.iter().filter(|&&b| b == b'\n').count(), COUNT);
    }
}

#[test]
fn unterminated_constructs_at_end_of_file() {
    let cases: [(&[u8], SyntaxErrorKind, &str); 7] = [
        (
            b"j { path = \"/jails/j",
            SyntaxErrorKind::UnterminatedString,
            "unterminated-string",
        ),
        (
            b"j { path = '/jails/j",
            SyntaxErrorKind::UnterminatedString,
            "unterminated-string",
        ),
        (
            b"j { path = /jails/j; } /* comment",
            SyntaxErrorKind::UnterminatedComment,
            "unterminated-comment",
        ),
        (
            b"/*",
            SyntaxErrorKind::UnterminatedComment,
            "unterminated-comment",
        ),
        (
            b"j { path = ${root",
            SyntaxErrorKind::UnterminatedVariable,
            "unterminated-variable",
        ),
        (
            b"j { path = \"${root",
            SyntaxErrorKind::UnterminatedString,
            "unterminated-string",
        ),
        (
            b"${",
            SyntaxErrorKind::UnterminatedVariable,
            "unterminated-variable",
        ),
    ];
    for (text, kind, code) in cases {
        for target in Target::ALL {
            let out = run(text, target);
            let shown = String::from_utf8_lossy(text);
            assert!(out.config.fatal, "{shown}");
            assert!(
                out.parse().errors.iter().any(|e| e.kind == kind),
                "{shown} ({target}): {:?}",
                out.parse().errors
            );
            assert!(out.codes().contains(&code), "{shown}: {:?}", out.codes());
            // The unterminated token runs to the end of the input.
            let last = out.parse().tree.tokens().last().unwrap();
            assert_eq!(last.end as usize, text.len());
        }
    }
    // A backslash as the very last byte, inside and outside quotes.
    for text in [&b"a = \\"[..], b"a = \"\\", b"a = '\\", b"\\"] {
        for target in Target::ALL {
            let out = run(text, target);
            assert!(out.config.fatal, "{}", String::from_utf8_lossy(text));
        }
    }
}

fn check_closing_braces(count: usize) {
    let text = b"}".repeat(count);
    for target in Target::ALL {
        let out = run(&text, target);
        assert!(out.config.fatal);
        let errors = &out.parse().errors;
        assert_eq!(errors.len(), count);
        assert!(errors
            .iter()
            .all(|e| e.kind == SyntaxErrorKind::UnexpectedToken));
        assert!(out.config.jails.is_empty());
        assert!(out.jail_e.is_empty());
        assert!(out
            .parse()
            .tree
            .tokens()
            .iter()
            .all(|t| t.kind == TokenKind::RBrace));
    }
}

#[test]
fn two_thousand_closing_braces() {
    check_closing_braces(2_000);
}

/// Outside any statement, an error's hint must only look at the tokens of
/// the current item (this once rescanned the file for every stray `}`).
#[test]
fn hundred_thousand_closing_braces() {
    check_closing_braces(100_000);
}

/// Every statement is broken (two values without a comma) and holds a
/// string that spans two lines and swallowed a `;`, so every error gets the
/// "string runs to the next line" hint, which names the line the string
/// opened on.
fn check_multiline_string_hints(count: usize) {
    let text = b"a = \"x;\ny\" b;\n".repeat(count);
    let out = run(&text, Target::V15);
    let errors = &out.parse().errors;
    assert_eq!(errors.len(), count);
    for (k, error) in errors.iter().enumerate() {
        let hint = error.hint.as_deref().unwrap_or_default();
        let line = 2 * k + 1;
        assert!(
            hint.contains(&format!(
                "the string opened on line {line} runs to line {}",
                line + 1
            )),
            "error {k}: {hint}"
        );
    }
}

#[test]
fn five_hundred_errors_with_line_hints() {
    check_multiline_string_hints(500);
}

/// Line numbers in hints come from a line index built once (they were
/// once counted from the start of the file for every error).
#[test]
fn twenty_thousand_errors_with_line_hints() {
    check_multiline_string_hints(20_000);
}

/// The codes of the diagnostics of loading `path` from disk.
fn load_from_disk(path: &Path, target: Target) -> Config {
    let text = std::fs::read(path).expect("read");
    Config::load(MainFile::from_path(path, text), &DiskLoader, target)
}

#[test]
fn include_of_itself_stops_at_depth_32() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("self.conf");
    std::fs::write(&path, b"p += x;\n.include \"self.conf\";\nj { }\n").unwrap();
    for target in [Target::V14, Target::V15] {
        let config = load_from_disk(&path, target);
        assert!(config.fatal);
        let depth: Vec<_> = config
            .diagnostics
            .iter()
            .filter(|d| d.code == "include-depth")
            .collect();
        assert_eq!(depth.len(), 1, "{:?}", config.diagnostics);
        assert_eq!(
            depth[0].jail_message.as_deref(),
            Some("maximum include depth exceeded")
        );
        // The main file, and the same file once more for its includes: a
        // file included again is read and parsed once, then walked again
        // (32 levels deep).
        assert_eq!(config.sources.len(), 2);
        // One `.include` followed on each of the 32 levels.
        assert_eq!(config.includes.len(), MAX_INCLUDE_DEPTH);
        let other: Vec<_> = config
            .diagnostics
            .iter()
            .filter(|d| d.code != "include-depth")
            .collect();
        assert!(other.is_empty(), "{other:?}");
    }
    // FreeBSD 13 has no `.include`: it is an ordinary parameter.
    let config = load_from_disk(&path, Target::V13);
    assert!(!config.fatal);
    assert_eq!(config.sources.len(), 1);
    assert_eq!(config.jails.len(), 1);
    assert!(config.jails[0].param(".include").is_some());
}

#[test]
fn include_loop_through_two_files_stops_at_depth_32() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.conf");
    std::fs::write(&a, b"a { }\n.include \"b.conf\";\n").unwrap();
    std::fs::write(dir.path().join("b.conf"), b"b { }\n.include \"a.conf\";\n").unwrap();
    let config = load_from_disk(&a, Target::V15);
    assert!(config.fatal);
    assert_eq!(
        config
            .diagnostics
            .iter()
            .filter(|d| d.code == "include-depth")
            .count(),
        1
    );
    // a.conf as the main file, then b.conf and a.conf once each.
    assert_eq!(config.sources.len(), 3);
    let _ = dump::jail_e(&config, b" | ");
}

/// Serves `files` files (`f0.conf`, `f1.conf`, …) for every glob, each
/// including `*.conf` again, and counts the reads; panics instead of
/// hanging.
struct GlobLoop {
    files: usize,
    reads: std::cell::Cell<usize>,
}

impl FileLoader for GlobLoop {
    fn read(&self, _path: &Path) -> io::Result<Vec<u8>> {
        let reads = self.reads.get() + 1;
        self.reads.set(reads);
        assert!(
            reads <= 10_000,
            "still reading included files after {reads} reads: the walk does not stop at the first include-depth error"
        );
        Ok(b".include \"*.conf\";\n".to_vec())
    }

    fn glob(&self, pattern: &[u8]) -> Result<GlobResult, GlobError> {
        let dir = &pattern[..pattern
            .iter()
            .rposition(|&b| b == b'/')
            .map_or(0, |i| i + 1)];
        Ok(GlobResult {
            has_magic: true,
            matches: (0..self.files)
                .map(|i| [dir, format!("f{i}.conf").as_bytes()].concat())
                .collect(),
        })
    }
}

/// Two files that each include every `*.conf` of their directory. jail(8)
/// walks depth first and exits at the first include past depth 32, after
/// reading 32 included files (`parse_config` calls `errx`); carrying on
/// after that error would read about 2^33 files.
#[test]
fn glob_include_loop_stops_at_first_depth_error() {
    for files in [2, 500] {
        let loader = GlobLoop {
            files,
            reads: std::cell::Cell::new(0),
        };
        let out = run_with(b".include \"/etc/*.conf\";\n", Target::V15, &loader);
        assert!(out.config.fatal);
        assert_eq!(
            out.codes()
                .iter()
                .filter(|&&c| c == "include-depth")
                .count(),
            1
        );
        // Files are read when the walk reaches them, and once: reading
        // every match at every level would read 32 × 500 files.
        assert_eq!(loader.reads.get(), 1, "{files} files per glob");
    }
}
