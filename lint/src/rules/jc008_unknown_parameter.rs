//! JC008 `unknown-parameter`: a parameter neither the kernel nor jail(8)
//! knows, with a did-you-mean.

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::params;

use crate::context::{Context, KnownParams};
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC008",
    name: "unknown-parameter",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "a parameter that does not exist on the target release",
    docs: r#"## What it does
Reports parameters that are neither kernel jail parameters nor jail(8)'s
own, or that need a newer FreeBSD release than the target (`zfs.dataset`,
`meta` and `env` need 15.0). It suggests the closest known name. A `no`
prefix is accepted on the last component of a boolean (`allow.nomount`).

## Why
`jail -e` accepts any name, but `jail -c` fails with
`unknown parameter: allow.raw_socket` when the jail starts — often at boot.

## Example
```
web {
    allow.raw_socket;
    noallow.mount;
}
```

## Fix
Correct the name (`allow.raw_sockets`), and put `no` on the last
component (`allow.nomount`). The suggested rename is offered as an unsafe
fix: check that it is what you meant."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Config(check),
};

/// The closest known parameter name, if one is close enough.
fn suggestion(name: &str) -> Option<&'static str> {
    let (base, negated) = match name.rsplit_once('.') {
        Some((prefix, last)) if last.starts_with("no") => {
            (format!("{prefix}.{}", &last[2..]), true)
        }
        None if name.starts_with("no") => (name[2..].to_string(), true),
        _ => (name.to_string(), false),
    };
    let best = params::all()
        .iter()
        .map(|p| (strsim::damerau_levenshtein(&base, p.name), p))
        .min_by_key(|(distance, _)| *distance)?;
    let (distance, param) = best;
    let limit = (base.len() / 4).clamp(1, 3);
    ((param.is_bool() || !negated) && distance <= limit).then_some(param.name)
}

/// A fix renaming a parameter. Unsafe: the user must confirm the guess.
fn rename(name: &jailconf_parser::source::Span, to: String) -> Fix {
    Fix {
        title: format!("rename to `{to}`"),
        safe: false,
        edits: vec![TextEdit {
            span: name.clone(),
            new_text: to,
        }],
    }
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    let mut known_params = KnownParams::default();
    for statement in context.statements() {
        if statement.is_var {
            continue;
        }
        if matches!(&statement.name[..], b"name" | b"jid") {
            continue;
        }
        let known = known_params.get(&statement.name);
        if known.is_some_and(|(param, _)| param.available_in(context.target)) {
            continue;
        }
        let name = statement.name_str();
        let message = match known {
            Some((param, _)) => {
                let since = param
                    .since
                    .map_or(String::new(), |(major, minor)| format!("{major}.{minor}"));
                format!(
                    "`{name}` needs FreeBSD {since} or later (the target is {})",
                    context.target
                )
            }
            None => format!("unknown parameter `{name}`"),
        };
        let mut finding = report.finding(message, statement.name_span());
        if known.is_none() {
            if let Some((prefix, last)) = name.split_once('.').filter(|(p, _)| p.starts_with("no"))
            {
                let moved = format!("{}.no{last}", &prefix[2..]);
                if params::lookup_with_no_prefix(&moved).is_some() {
                    finding = finding.with_help(format!(
                        "the `no` prefix goes on the last component: `{moved}`"
                    ));
                    finding.fix = Some(rename(&statement.name_span(), moved));
                    report.push(finding);
                    continue;
                }
            }
            if let Some(better) = suggestion(&name) {
                let mut replacement = better.to_string();
                if let Some((prefix, last)) = name.rsplit_once('.') {
                    if last.starts_with("no")
                        && !better.rsplit('.').next().unwrap_or("").starts_with("no")
                    {
                        replacement =
                            better.replacen(&format!("{}.", prefix), &format!("{}.no", prefix), 1);
                    }
                }
                finding = finding.with_help(format!("did you mean `{replacement}`?"));
                finding.fix = Some(rename(&statement.name_span(), replacement));
            } else {
                finding = finding
                    .with_help("see `jailconf explain JC008` and the parameter list in jail(8)");
            }
        }
        report.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(suggestion("allow.raw_socket"), Some("allow.raw_sockets"));
        assert_eq!(suggestion("host.hotsname"), Some("host.hostname"));
        assert_eq!(suggestion("exec.strat"), Some("exec.start"));
        assert_eq!(suggestion("completely.different"), None);
    }
}
