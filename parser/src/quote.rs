//! Writing a value as jail.conf(5) text, for tools that edit or show
//! configurations (the language server, `jailconf new`).
//!
//! jail(8)'s own `jail -e` quoting is [`crate::dump::write_quoted`].

use crate::lexer::is_bare_byte;

/// A value as jail.conf text: bare when it can be, else double-quoted
/// (see [`double_quote`]).
pub fn quote(value: &[u8]) -> String {
    if !value.is_empty() && value.iter().all(|&b| is_bare_byte(b)) {
        return String::from_utf8_lossy(value).into_owned();
    }
    double_quote(value)
}

/// A value in double quotes, with `"`, `\`, `$`, newlines and tabs
/// escaped (invalid UTF-8 replaced).
pub fn double_quote(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_when_possible() {
        assert_eq!(quote(b"web"), "web");
        assert_eq!(quote(b"/jails/web"), "\"/jails/web\"");
        assert_eq!(quote(b"a \"b\" $c"), "\"a \\\"b\\\" \\$c\"");
        assert_eq!(quote(b""), "\"\"");
        assert_eq!(double_quote(b"web"), "\"web\"");
        assert_eq!(double_quote(b"a\\b\n\t"), "\"a\\\\b\\n\\t\"");
    }
}
