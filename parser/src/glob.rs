//! Dependency-free reimplementation of FreeBSD glob(3) as used by jail(8)
//! for `.include` (`glob(pattern, GLOB_NOCHECK, NULL, &g)`), on raw bytes.
//!
//! Unreadable directories are skipped silently, like glob(3) without
//! `GLOB_ERR`; only unexpected I/O errors are reported as [`GlobError`].

use std::ffi::OsStr;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::{fmt, fs, io};

/// Result of expanding one `.include` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobResult {
    /// The pattern has glob magic (an unescaped `*`, `?`, or a `[...]` set that is closed by `]`), i.e. glob(3) would set GLOB_MAGCHAR.
    pub has_magic: bool,
    /// Matching paths, sorted bytewise over the whole path (glob(3) sorts the final list with strcmp in the C locale). Empty when nothing matches. When `has_magic` is false this is empty too: the caller uses the literal path.
    pub matches: Vec<Vec<u8>>,
}

/// A directory could not be read for an unexpected reason (anything but
/// not existing, not being a directory or permission denied), or the
/// pattern contains a NUL byte. jail(8) reports this as "filename glob failed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    /// The directory (or, for a NUL byte, the pattern) concerned.
    pub path: Vec<u8>,
    /// Kind of the underlying I/O error.
    pub kind: io::ErrorKind,
    /// Message of the underlying I/O error.
    pub message: String,
}

impl GlobError {
    fn new(path: &[u8], err: &io::Error) -> Self {
        let path = if path.is_empty() { b"." } else { path };
        GlobError {
            path: path.to_vec(),
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = String::from_utf8_lossy(&self.path);
        write!(f, "{path}: {}", self.message)
    }
}

impl std::error::Error for GlobError {}

/// One compiled pattern element, matching exactly one byte (except `Star`).
#[derive(Debug)]
enum Token {
    Lit(u8),
    Any,
    Star,
    Set { negate: bool, ranges: Vec<(u8, u8)> },
}

impl Token {
    fn matches(&self, byte: u8) -> bool {
        match self {
            Token::Lit(c) => *c == byte,
            Token::Any => true,
            Token::Star => false,
            Token::Set { negate, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= byte && byte <= hi) != *negate
            }
        }
    }
}

/// A pattern byte after backslash processing, and whether it was escaped.
type PatByte = (u8, bool);

fn unescape(pattern: &[u8]) -> Vec<PatByte> {
    let mut out = Vec::with_capacity(pattern.len());
    let mut bytes = pattern.iter().copied();
    while let Some(b) = bytes.next() {
        out.push(match b {
            // A trailing lone backslash stands for itself.
            b'\\' => (bytes.next().unwrap_or(b'\\'), true),
            _ => (b, false),
        });
    }
    out
}

/// Parses a set after its `[`; returns the token and the bytes consumed, or
/// `None` if no unescaped `]` closes it (the `[` is then literal).
fn parse_set(rest: &[PatByte]) -> Option<(Token, usize)> {
    let negate = rest.first() == Some(&(b'!', false));
    let body = &rest[usize::from(negate)..];
    // The first member is taken as is, so `[]...]` and `[!]...]` hold a `]`.
    let close = body.get(1..)?.iter().position(|&p| p == (b']', false))?;
    let members = &body[..=close];
    let mut ranges = Vec::new();
    let mut i = 0;
    while let Some(&(lo, _)) = members.get(i) {
        match (members.get(i + 1), members.get(i + 2)) {
            (Some(&(b'-', false)), Some(&(hi, _))) => {
                ranges.push((lo, hi));
                i += 3;
            }
            _ => {
                ranges.push((lo, lo));
                i += 1;
            }
        }
    }
    Some((
        Token::Set { negate, ranges },
        usize::from(negate) + close + 2,
    ))
}

fn compile(component: &[PatByte]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(&(b, escaped)) = component.get(i) {
        i += 1;
        tokens.push(match (b, escaped) {
            (b'*', false) => Token::Star,
            (b'?', false) => Token::Any,
            (b'[', false) => match parse_set(&component[i..]) {
                Some((set, used)) => {
                    i += used;
                    set
                }
                None => Token::Lit(b'['),
            },
            _ => Token::Lit(b),
        });
    }
    tokens
}

fn matches(tokens: &[Token], name: &[u8]) -> bool {
    // A leading dot must be matched by a literal dot.
    if name.first() == Some(&b'.') && !matches!(tokens.first(), Some(Token::Lit(b'.'))) {
        return false;
    }
    let (mut t, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        match (tokens.get(t), name.get(n)) {
            (Some(Token::Star), _) => {
                t += 1;
                star = Some((t, n));
                continue;
            }
            (Some(token), Some(&byte)) if token.matches(byte) => {
                t += 1;
                n += 1;
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Mismatch: let the last `*` swallow one more byte, if any is left.
        match star {
            Some((st, sn)) if sn < name.len() => {
                star = Some((st, sn + 1));
                (t, n) = (st, sn + 1);
            }
            _ => return false,
        }
    }
}

/// fnmatch-style match of one path component against one pattern component, with glob(3) rules. Public because the linter will reuse it.
///
/// `*`, `?`, `[set]` (`[!set]`, ranges, leading `]` literal, unclosed `[`
/// literal), `\` escapes; a leading `.` in `name` needs a literal `.`.
pub fn match_component(pattern: &[u8], name: &[u8]) -> bool {
    matches(&compile(&unescape(pattern)), name)
}

enum Component {
    Literal(Vec<u8>),
    Magic(Vec<Token>),
}

/// Whether glob(3) would see magic in `pattern` (set `GLOB_MAGCHAR`): an
/// unescaped `*`, `?` or a closed `[...]` set.
pub fn has_magic(pattern: &[u8]) -> bool {
    unescape(pattern)
        .split(|&(b, _)| b == b'/')
        .any(|part| !compile(part).iter().all(|t| matches!(t, Token::Lit(_))))
}

/// Expands `pattern` like FreeBSD glob(3) with `GLOB_NOCHECK` (see [`GlobResult`]).
pub fn glob(pattern: &[u8]) -> Result<GlobResult, GlobError> {
    if pattern.contains(&0) {
        let err = io::Error::new(io::ErrorKind::InvalidInput, "pattern contains a NUL byte");
        return Err(GlobError::new(pattern, &err));
    }
    let components: Vec<Component> = unescape(pattern)
        .split(|&(b, _)| b == b'/') // an escaped `/` still separates
        .map(|part| {
            let tokens = compile(part);
            if tokens.iter().all(|t| matches!(t, Token::Lit(_))) {
                Component::Literal(part.iter().map(|&(b, _)| b).collect())
            } else {
                Component::Magic(tokens)
            }
        })
        .collect();
    let has_magic = components.iter().any(|c| matches!(c, Component::Magic(_)));
    let mut matches = Vec::new();
    if has_magic {
        walk(&mut Vec::new(), &components, &mut matches)?;
        matches.sort_unstable();
        matches.dedup();
    }
    Ok(GlobResult { has_magic, matches })
}

/// Appends literal components to `path` and expands magic ones; a complete
/// path is kept if it exists (lstat, as glob(3)). On error `path` is left dirty.
fn walk(
    path: &mut Vec<u8>,
    mut rest: &[Component],
    out: &mut Vec<Vec<u8>>,
) -> Result<(), GlobError> {
    let base = path.len();
    loop {
        match rest.split_first() {
            None => {
                if fs::symlink_metadata(OsStr::from_bytes(path)).is_ok() {
                    out.push(path.clone());
                }
                break;
            }
            Some((Component::Literal(bytes), tail)) => {
                push_component(path, bytes, tail);
                rest = tail;
            }
            Some((Component::Magic(tokens), tail)) => {
                let dir_len = path.len();
                for name in read_names(path)?.iter().filter(|n| matches(tokens, n)) {
                    path.truncate(dir_len);
                    push_component(path, name, tail);
                    walk(path, tail, out)?;
                }
                break;
            }
        }
    }
    path.truncate(base);
    Ok(())
}

fn push_component(path: &mut Vec<u8>, component: &[u8], rest: &[Component]) {
    path.extend_from_slice(component);
    if !rest.is_empty() {
        path.push(b'/');
    }
}

/// Errors glob(3) treats as "no matches here" (and, without `GLOB_ERR`, so
/// would it treat the rest; we only skip these expected ones).
fn is_skipped(err: &io::Error) -> bool {
    use io::ErrorKind::{NotFound, PermissionDenied};
    // ENOTDIR is 20 on FreeBSD, Linux and macOS (ErrorKind::NotADirectory needs Rust 1.83).
    matches!(err.kind(), NotFound | PermissionDenied) || err.raw_os_error() == Some(20)
}

/// Entry names of directory `dir` (`.` if empty), without `.` and `..`.
fn read_names(dir: &[u8]) -> Result<Vec<Vec<u8>>, GlobError> {
    let dir_path = if dir.is_empty() {
        OsStr::new(".")
    } else {
        OsStr::from_bytes(dir)
    };
    let entries = match fs::read_dir(dir_path) {
        Ok(entries) => entries,
        Err(e) if is_skipped(&e) => return Ok(Vec::new()),
        Err(e) => return Err(GlobError::new(dir, &e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => names.push(entry.file_name().into_vec()),
            Err(e) if is_skipped(&e) => break,
            Err(e) => return Err(GlobError::new(dir, &e)),
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tempfile::TempDir;

    #[rustfmt::skip]
    const CASES: &[(&str, &str, bool)] = &[
        ("*", "abc", true), ("*", "", true), ("a*c", "abbc", true), ("a*c", "abcd", false),
        ("*.conf", "x.conf", true), ("*a*b", "xaxxab", true), ("a**b", "ab", true),
        ("?", "a", true), ("?", "", false), ("a?c", "abc", true), ("a?c", "ac", false),
        ("[abc]", "b", true), ("[abc]", "d", false), ("[!abc]", "d", true), ("[!abc]", "a", false),
        ("[a-c]x", "bx", true), ("[a-c]x", "dx", false), ("[c-a]", "b", false), ("[a-]", "-", true),
        ("[]a]", "]", true), ("[!]a]", "]", false), ("[!]a]", "b", true), ("[]-a]", "^", true),
        ("[\\]]", "]", true), ("[a\\-c]", "b", false), ("[a\\-c]", "-", true), ("[\\!a]", "!", true),
        ("[", "[", true), ("[a", "[a", true), ("[]", "[]", true), ("[!]", "[!]", true), ("a]", "a]", true),
        ("\\*", "*", true), ("\\*", "a", false), ("\\[a]", "[a]", true), ("[a\\]", "[a]", true),
        ("a\\", "a\\", true), ("\\a", "a", true),
        ("*", ".hidden", false), ("?hidden", ".hidden", false), ("[.]hidden", ".hidden", false),
        (".*", ".hidden", true), ("\\.*", ".hidden", true), ("a*", "a.b", true),
    ];

    #[test]
    fn component_matching() {
        for &(pattern, name, expected) in CASES {
            let got = match_component(pattern.as_bytes(), name.as_bytes());
            assert_eq!(got, expected, "pattern {pattern:?} name {name:?}");
        }
        assert!(match_component(b"*.conf", b"\xff.conf"));
        assert!(match_component(b"[\x80-\xff]", b"\xfe"));
    }

    /// Creates empty files (and their parent directories) in a fresh temp dir.
    fn tree(files: &[&[u8]]) -> io::Result<TempDir> {
        let dir = tempfile::tempdir()?;
        for file in files {
            let path = dir.path().join(OsStr::from_bytes(file));
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, b"")?;
        }
        Ok(dir)
    }

    /// Globs `rest` below `dir` (escaped); returns has_magic and the
    /// matches relative to `dir`, space-separated.
    fn expand(dir: &TempDir, rest: &str) -> Result<(bool, String), GlobError> {
        let root = dir.path().as_os_str().as_bytes();
        let mut pattern = Vec::new();
        for &b in root {
            if b"*?[\\".contains(&b) {
                pattern.push(b'\\');
            }
            pattern.push(b);
        }
        pattern.extend_from_slice(rest.as_bytes());
        let result = glob(&pattern)?;
        let rel = result
            .matches
            .iter()
            .map(|m| String::from_utf8_lossy(&m[root.len()..]));
        Ok((result.has_magic, rel.collect::<Vec<_>>().join(" ")))
    }

    #[test]
    fn glob_over_tree() -> Result<(), Box<dyn std::error::Error>> {
        let files: &[&[u8]] = &[
            b"a/b",
            b"a-c/x",
            b"d/x.conf",
            b"d/.h.conf",
            b"d/y.txt",
            b"f",
        ];
        let dir = tree(files)?;
        let all = "/a-c/x /a/b /d/x.conf /d/y.txt";
        assert_eq!(expand(&dir, "/*/*")?, (true, all.into()));
        assert_eq!(expand(&dir, "/*/*.conf")?.1, "/d/x.conf");
        assert_eq!(expand(&dir, "/d/.*")?.1, "/d/.h.conf");
        assert_eq!(expand(&dir, "/d/*")?.1, "/d/x.conf /d/y.txt");
        assert_eq!(expand(&dir, "//d/[x-y]*")?.1, "//d/x.conf //d/y.txt");
        assert_eq!(expand(&dir, "/*/")?.1, "/a-c/ /a/ /d/");
        assert_eq!(expand(&dir, "/?/x.c\\onf")?.1, "/d/x.conf");
        assert_eq!(expand(&dir, "/*/x.conf")?.1, "/d/x.conf");
        for empty in ["/*.none", "/missing/*", "/f/*", "/*/missing"] {
            assert_eq!(expand(&dir, empty)?, (true, String::new()), "{empty}");
        }
        for literal in ["/d/x.conf", "/d/[x", "/d/\\*", "/d/x\\?"] {
            assert_eq!(expand(&dir, literal)?, (false, String::new()), "{literal}");
        }
        Ok(())
    }

    #[test]
    fn non_utf8_names() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tree(&[b"n/\xff.conf", b"n/a.conf"])?;
        let root = dir.path().as_os_str().as_bytes();
        let found = glob(&[root, b"/n/\xff*"].concat())?.matches;
        assert_eq!(found, vec![[root, b"/n/\xff.conf"].concat()]);
        Ok(())
    }

    #[test]
    fn relative_patterns_keep_their_prefix() -> Result<(), GlobError> {
        // `cargo test` runs in the package directory.
        assert_eq!(glob(b"src/gl*.rs")?.matches, vec![b"src/glob.rs".to_vec()]);
        assert_eq!(
            glob(b"./s*/glob.rs")?.matches,
            vec![b"./src/glob.rs".to_vec()]
        );
        Ok(())
    }

    #[test]
    fn nul_byte_is_an_error() {
        assert!(glob(b"/tmp/\0*").is_err());
    }
}
