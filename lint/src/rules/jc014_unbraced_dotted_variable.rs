//! JC014 `unbraced-dotted-variable`: `$host.hostname` is `$host` followed
//! by `.hostname`.

use crate::hash::FastSet;

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::params;
use jailconf_parser::source::Span;
use jailconf_parser::syntax::NodeKind;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC014",
    name: "unbraced-dotted-variable",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "`$host.hostname` means `$host` followed by `.hostname`",
    docs: r#"## What it does
Reports a `$name` reference directly followed by `.word` when the dotted
name is a jail parameter or a variable of the configuration
(`$host.hostname`, `$ip4.addr`, `$my.var` with `${my.var}` defined).
Text such as `$name.example.org` is left alone: there the dot is meant.

## Why
A `$name` reference ends at the first character that is not a letter,
digit or `_`, so `$host.hostname` expands the variable `host` (usually
undefined, which fails the jail) and appends the text `.hostname`.

## Example
```
web {
    host.hostname = web.example.org;
    exec.start = "/bin/echo $host.hostname";
}
```

## Fix
Use braces: `${host.hostname}`. The automatic fix does this; it is
unsafe because it changes which value is used."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Config(check),
};

/// The longest dotted name `var.a.b…` at the start of `rest` (which starts
/// with `.`) that `known` accepts, with the length of `rest` it takes.
fn dotted_name(var: &str, rest: &[u8], known: impl Fn(&str) -> bool) -> Option<(String, usize)> {
    let mut best = None;
    let mut name = var.to_string();
    let mut i = 0;
    while rest.get(i) == Some(&b'.') {
        let len = rest[i + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        if len == 0 {
            break;
        }
        name.push('.');
        name.push_str(&crate::context::lossy(&rest[i + 1..i + 1 + len]));
        i += 1 + len;
        if known(&name) {
            best = Some((name.clone(), i));
        }
    }
    best
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    // Built when first needed (few values have a candidate reference).
    let variables = std::cell::OnceCell::new();
    let variables = || variables.get_or_init(|| context.variable_names());
    let known =
        |name: &str| variables().contains(name.as_bytes()) || params::lookup(name).is_some();
    for (file, source) in context.config.sources.iter() {
        let tree = &source.parse.tree;
        let tokens = tree.tokens();
        // `$a.b = …;` as a statement name is a syntax error (JC001), and a
        // braced name there would define a variable named like the
        // parameter: only values are checked.
        // Built when first needed (few references are followed by text).
        let names: std::cell::OnceCell<FastSet<usize>> = std::cell::OnceCell::new();
        let is_name = |index: usize| {
            names
                .get_or_init(|| {
                    tree.descendants(tree.root())
                        .filter(|&n| tree.kind(n) == NodeKind::ParamName)
                        .map(|n| tree.token_range(n).start)
                        .collect()
                })
                .contains(&index)
        };
        for &index in &context.tokens_of_note(file).joined_var_simple {
            let index = index as usize;
            let (token, next) = (tokens.at(index), tokens.at(index + 1));
            if is_name(index) {
                continue;
            }
            let var =
                crate::context::lossy(&tree.text()[token.start as usize + 1..token.end as usize]);
            let rest = &tree.text()[next.range()];
            let Some((name, taken)) = dotted_name(&var, rest, known) else {
                continue;
            };
            let end = next.start + taken as u32;
            let span = Span::new(file, token.start..end);
            let written = crate::context::lossy(&tree.text()[token.start as usize..end as usize]);
            let suffix = &written[1 + var.len()..];
            let what = if variables().contains(name.as_bytes()) {
                "variable"
            } else {
                "parameter"
            };
            let mut finding = report
                .finding(
                    format!("`{written}` is `${var}` followed by the text `{suffix}`"),
                    span.clone(),
                )
                .with_label(format!("expands `${var}`, not `{name}`"))
                .with_help(format!(
                    "a `$name` reference stops at the `.`; write `${{{name}}}` to use the {what} `{name}`"
                ));
            finding.fix = Some(Fix {
                title: format!("write `${{{name}}}`"),
                safe: false,
                edits: vec![TextEdit {
                    span,
                    new_text: format!("${{{name}}}"),
                }],
            });
            report.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_known_dotted_name() {
        let known = |n: &str| params::lookup(n).is_some();
        assert_eq!(
            dotted_name("host", b".hostname", known),
            Some(("host.hostname".to_string(), 9))
        );
        assert_eq!(
            dotted_name("allow", b".mount.devfs/x", known),
            Some(("allow.mount.devfs".to_string(), 12))
        );
        assert_eq!(dotted_name("name", b".example.org", known), None);
        assert_eq!(dotted_name("net", b".1", known), None);
    }
}
