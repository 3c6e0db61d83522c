//! JC013 `variable-in-single-quotes`: `'$name'` is never expanded.

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::params;
use jailconf_parser::source::Span;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC013",
    name: "variable-in-single-quotes",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "a variable reference inside single quotes is not expanded",
    docs: r#"## What it does
Reports `$name` or `${name}` written inside a single-quoted string when
`name` is a variable defined in the configuration or a jail parameter
(`$name`, `${path}`, `${host.hostname}`). References to other names
(`'$HOME'`, `'$1'`) are left alone: those are usually meant for the
shell that runs the command.

## Why
jail(8) expands variables only in unquoted text and double-quoted
strings; in single quotes `$` is a literal character. The command then
receives the text `$id` instead of the value.

## Example
```
$id = 60;
vnet {
    exec.prestart = 'ifconfig epair$id create up';
}
```

## Fix
Use double quotes: `"ifconfig epair$id create up"`. The automatic fix
(unsafe: it changes the value) does this when the string has no `"` or
`\` and every reference in it is a known variable or parameter."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Config(check),
};

/// A `$name` or `${name}` in the raw text of a single-quoted piece.
struct Reference {
    /// Byte range in the token text.
    range: std::ops::Range<usize>,
    name: String,
}

/// The references in a single-quoted token's text (quotes included), as
/// they would be read in double quotes; `\$` is an escaped `$`.
fn references(text: &[u8]) -> Vec<Reference> {
    let mut out = Vec::new();
    let inner_end = text.len().saturating_sub(1);
    let mut i = 1;
    while i < inner_end {
        match text[i] {
            b'\\' => i += 2,
            b'$' => {
                let start = i;
                let next = text.get(i + 1).copied().unwrap_or(0);
                if next.is_ascii_alphabetic() || next == b'_' {
                    i += 1;
                    while i < inner_end && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
                        i += 1;
                    }
                    out.push(Reference {
                        range: start..i,
                        name: crate::context::lossy(&text[start + 1..i]).into_owned(),
                    });
                } else if next == b'{' {
                    match text[i..inner_end].iter().position(|&b| b == b'}') {
                        Some(close) if !text[i + 2..i + close].contains(&b'\n') => {
                            out.push(Reference {
                                range: start..i + close + 1,
                                name: crate::context::lossy(&text[i + 2..i + close]).into_owned(),
                            });
                            i += close + 1;
                        }
                        _ => i += 2,
                    }
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    // Built when first needed (few values have a candidate reference).
    let variables = std::cell::OnceCell::new();
    let variables = || variables.get_or_init(|| context.variable_names());
    let known =
        |name: &str| variables().contains(name.as_bytes()) || params::lookup(name).is_some();
    for (file, source) in context.config.sources.iter() {
        let tree = &source.parse.tree;
        for &index in &context.tokens_of_note(file).single_quoted_dollar {
            let token = tree.tokens().at(index as usize);
            let text = &tree.text()[token.range()];
            let refs = references(text);
            let flagged: Vec<&Reference> = refs.iter().filter(|r| known(&r.name)).collect();
            let Some(first) = flagged.first() else {
                continue;
            };
            let mut names: Vec<String> = Vec::new();
            for r in &flagged {
                let shown = crate::context::lossy(&text[r.range.clone()]).into_owned();
                if !names.contains(&shown) {
                    names.push(shown);
                }
            }
            let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let (subject, verb) = match listed.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    (format!("{} and {last}", rest.join(", ")), "are")
                }
                _ => (listed.concat(), "is"),
            };
            let at = token.start as usize;
            let span = Span::new(
                file,
                (at + first.range.start) as u32..(at + first.range.end) as u32,
            );
            let inner = &text[1..text.len() - 1];
            let fixable =
                !inner.contains(&b'"') && !inner.contains(&b'\\') && flagged.len() == refs.len();
            let quoted = format!("\"{}\"", crate::context::lossy(inner));
            let help = if fixable {
                format!("jail(8) expands variables only outside quotes and in double quotes: write `{quoted}`")
            } else {
                "jail(8) expands variables only outside quotes and in double quotes: use double quotes (escape `\"` and `\\` inside them)".to_string()
            };
            let mut finding = report
                .finding(
                    format!("{subject} inside single quotes {verb} not expanded"),
                    span,
                )
                .with_label("taken literally")
                .with_help(help);
            if fixable {
                finding.fix = Some(Fix {
                    title: "use double quotes".to_string(),
                    safe: false,
                    edits: vec![TextEdit {
                        span: Span::new(file, token.start..token.end),
                        new_text: quoted,
                    }],
                });
            }
            report.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_references() {
        let names = |text: &str| -> Vec<String> {
            references(text.as_bytes())
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        assert_eq!(names("'epair$id create'"), ["id"]);
        assert_eq!(names("'${host.hostname}/x'"), ["host.hostname"]);
        assert_eq!(names("'cost $5 \\$x $'"), Vec::<String>::new());
        assert_eq!(names("'${open'"), Vec::<String>::new());
    }
}
