//! JC022 `newline-in-string`: a raw line break inside a quoted string.

use jailconf_parser::diag::Severity;
use jailconf_parser::lexer::{TokenKind, Tokens};
use jailconf_parser::source::{FileId, Span};

use crate::commands::hook;
use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC022",
    name: "newline-in-string",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "a quoted string runs over a line break",
    docs: r#"## What it does
Reports a single- or double-quoted string that contains a raw line break
(one not escaped with `\` at the end of the line). A multi-line shell
script in an `exec.*` or `command` value that jail(8) runs with `sh -c`
(it contains a shell character such as `;`, `|`, `$(`) and whose string
ends the value is fine and is not reported.

## Why
jail(8) looks for the closing quote anywhere later in the file, so a
forgotten quote silently swallows the following lines up to the next
quote (often an apostrophe in a comment) and the error, if any, shows up
far away. When the line break is intended, jail(8) keeps it in the value:
a command without shell characters is split at blanks and line breaks
and run as one command (the next lines become its arguments), and other
values get a newline in them.

## Example
```
web {
    exec.start = "/bin/sh /etc/rc;
    host.hostname = web.example.org;
    # the jail's "main" address
}
```

## Fix
Close the string on its line. For an intended line break write `\n`; to
continue a long value on the next line without a line break, end the
line with `\`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

/// The offset of the first unescaped line feed in a quoted piece's text.
fn raw_newline(text: &[u8]) -> Option<usize> {
    if !text.contains(&b'\n') {
        return None;
    }
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'\n' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Whether jail(8) runs a command through `sh -c`: it does when the
/// command has one of these characters (after expansion: the text of
/// `$name` references is not counted); otherwise it splits the command at
/// blanks and line breaks and runs it directly.
fn runs_through_sh(inner: &[u8], single_quoted: bool) -> bool {
    const SHELL: &[u8] = b"!\"$&'()*;<>?[\\]`{|}~";
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'\\' => {
                if inner.get(i + 1).is_some_and(|b| SHELL.contains(b)) {
                    return true;
                }
                i += 2;
            }
            b'$' if single_quoted => return true,
            b'$' => match inner.get(i + 1) {
                Some(b'{') => {
                    i += inner[i..]
                        .iter()
                        .position(|&b| b == b'}')
                        .unwrap_or(inner.len());
                    i += 1;
                }
                Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {
                    i += 1;
                    while inner
                        .get(i)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    {
                        i += 1;
                    }
                }
                _ => return true,
            },
            b if SHELL.contains(&b) => return true,
            _ => i += 1,
        }
    }
    false
}

/// The quoted strings with a raw line break, in order: each one's start,
/// first raw line break and end. Only the strings the lexer found a line
/// break in are read (see [`Tokens::multi_line`]).
fn strings_with_raw_newlines<'t>(
    tokens: &'t Tokens,
    text: &'t [u8],
) -> impl Iterator<Item = (u32, u32, u32)> + 't {
    let mut last_string = None;
    (tokens.multi_line().iter()).filter_map(move |&index| {
        let (first, last) = string_around(tokens, index as usize)?;
        if last_string.replace(first) == Some(first) {
            // Another piece of the string just read.
            return None;
        }
        let newline = (first..=last)
            .filter(|&piece| tokens.kind(piece).is_some_and(is_string_text))
            .map(|piece| tokens.at(piece))
            .find_map(|piece| {
                raw_newline(&text[piece.range()]).map(|at| piece.start + at as u32)
            })?;
        Some((tokens.at(first).start, newline, tokens.at(last).end))
    })
}

/// Whether a token of `kind` is text of a quoted string (with its quotes),
/// rather than a variable or escape inside one.
fn is_string_text(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::SingleQuoted
            | TokenKind::DoubleQuoted
            | TokenKind::DqHead
            | TokenKind::DqText
            | TokenKind::DqTail
    )
}

/// The first and last tokens of the quoted string whose text the token at
/// `index` is part of, if it is.
fn string_around(tokens: &Tokens, index: usize) -> Option<(usize, usize)> {
    use TokenKind::{DqClose, DqHead, DqTail, DqText};
    let kind = |at: usize| tokens.kind(at);
    // What a double-quoted string with variables has between its head and
    // its tail.
    let inside = |at: usize| {
        matches!(
            kind(at),
            Some(
                DqText
                    | TokenKind::VarSimple
                    | TokenKind::VarBraced
                    | TokenKind::UnterminatedVariable
                    | TokenKind::Special
                    | TokenKind::Escape
            )
        )
    };
    match kind(index)? {
        TokenKind::SingleQuoted | TokenKind::DoubleQuoted => Some((index, index)),
        DqHead | DqText | DqTail => {
            let mut first = index;
            while kind(first) != Some(DqHead) {
                first = first
                    .checked_sub(1)
                    .filter(|&at| inside(at) || kind(at) == Some(DqHead))?;
            }
            let mut last = index;
            while !matches!(kind(last), Some(DqTail | DqClose)) {
                last += 1;
                if !inside(last) && !matches!(kind(last), Some(DqTail | DqClose)) {
                    return None;
                }
            }
            Some((first, last))
        }
        _ => None,
    }
}

/// The hook (`exec.*`, `command`) whose statement holds the byte at
/// `at`, if any. A file's statements are in source order and do not
/// overlap.
fn hook_at(context: &Context<'_>, file: FileId, at: u32) -> Option<&'static str> {
    let statements = context.statements_of(file);
    let index = statements
        .partition_point(|s| s.range.start <= at)
        .checked_sub(1)?;
    let statement = &statements[index];
    if statement.is_var || at >= statement.range.end {
        return None;
    }
    hook(&statement.name).map(|(name, _)| name)
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    for (file, source) in context.config.sources.iter() {
        let tree = &source.parse.tree;
        let text = tree.text();
        // Where the last string with a line break ended.
        let mut last_end: Option<u32> = None;
        for (start, newline, end) in strings_with_raw_newlines(tree.tokens(), text) {
            // A string that swallowed text up to a quote on a later line
            // leaves the rest of that line out of step: the next quote
            // there opens a string only because of it. Report the first.
            let cascade = last_end.is_some_and(|end| {
                !text[end as usize..start as usize]
                    .iter()
                    .any(|b| matches!(b, b'\n' | b';' | b'=' | b'{' | b'}'))
            });
            last_end = Some(end);
            if cascade {
                continue;
            }
            let ends_value = text[end as usize..]
                .iter()
                .find(|b| !matches!(b, b' ' | b'\t'))
                .is_none_or(|b| matches!(b, b';' | b','));
            // Only asked here: few strings run over several lines, and the
            // statements list is built on first use.
            let hook = hook_at(context, file, start);
            let inner = &text[start as usize + 1..end as usize - 1];
            let help = match hook {
                // A multi-line script for sh: the line breaks separate
                // its commands, as intended.
                Some(_) if ends_value && runs_through_sh(inner, text[start as usize] == b'\'') => continue,
                Some(hook) if ends_value => format!(
                    "jail(8) runs this `{hook}` value directly (it has no shell characters), reading the line breaks as blanks: it is one command with the next lines as its arguments; give each command its own value (`{hook} += \"...\";`) or separate them with `;`"
                ),
                _ => "if a closing quote is missing, add it; write `\\n` for an intended line break, or end the line with `\\` to continue the value without one".to_string(),
            };
            let lines = 1 + text[start as usize..end as usize]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            let first_line = if newline > start {
                start..newline
            } else {
                start..start + 1
            };
            let finding = report
                .finding(
                    format!("quoted string runs over {lines} lines"),
                    Span::new(file, first_line),
                )
                .with_label("the string continues on the next line")
                .with_secondary(Span::new(file, end - 1..end), "it ends here")
                .with_help(help);
            report.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_with_raw_newlines_are_found_from_any_piece() {
        let text = b"a = \"x $v\ny\"; b = \"p\\\nq $w\"; c = 'r\ns';\nd = \"${v}\";\n";
        let tokens = jailconf_parser::lexer::lex(text, jailconf_parser::Target::V15);
        let found: Vec<(&[u8], u32)> = strings_with_raw_newlines(&tokens, text)
            .map(|(start, newline, end)| (&text[start as usize..end as usize], newline - start))
            .collect();
        // The second string's only line break is escaped.
        let expected: [(&[u8], u32); 2] = [(b"\"x $v\ny\"", 5), (b"'r\ns'", 2)];
        assert_eq!(found, expected);
    }

    #[test]
    fn escaped_newlines_continue() {
        assert_eq!(raw_newline(b"\"a\\\nb\""), None);
        assert_eq!(raw_newline(b"\"a\nb\""), Some(2));
        assert_eq!(raw_newline(b"'a\\\\\nb'"), Some(4));
        assert!(runs_through_sh(b"EPAIR=$(ifconfig epair create)\n", false));
        assert!(!runs_through_sh(
            b"ifconfig ${if}a up\nifconfig $br addm ${if}a",
            false
        ));
        assert!(runs_through_sh(b"echo $HOME", true));
        assert!(runs_through_sh(b"echo \\$HOME", false));
    }
}
