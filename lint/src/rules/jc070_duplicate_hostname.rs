//! JC070 `duplicate-hostname`: two jails with the same `host.hostname`.

use std::borrow::Cow;
use std::collections::HashSet;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::context::Context;
use crate::hash::FastMap;
use crate::rule::{Category, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC070",
    name: "duplicate-hostname",
    category: Category::Operations,
    severity: Severity::Warning,
    summary: "two jails have the same host.hostname",
    docs: r#"## What it does
Compares the effective `host.hostname` of every jail (after inheritance
and variable expansion, ignoring case and a trailing dot) and reports
jails that share one. Jails without `host.hostname` are not compared, and
neither are two blocks of the same jail (see `duplicate-jail`).

## Why
Jails with the same hostname are indistinguishable in logs, syslog,
monitoring and prompts, and clash in DNS or DHCP registrations. It is
almost always a jail file copied from another one, or a fixed
`host.hostname` in a global section instead of `"${name}"`.

## Example
```
web { host.hostname = "www.example.org"; }
web2 { host.hostname = "www.example.org"; }
```

## Fix
Give every jail its own hostname, e.g. `host.hostname = "${name}.example.org";`
in a global section."#,
    needs_host_facts: false,
    fixable: false,
    check,
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    // Normalised hostname -> (jail name, hostname as written, span).
    type Uses<'n> = Vec<(Cow<'n, str>, Cow<'n, str>, Span)>;
    let mut by_name: FastMap<Cow<'_, str>, Uses<'_>> =
        FastMap::with_capacity_and_hasher(context.jails().len(), Default::default());
    for jail in context.jails() {
        let Some(value) = jail.last_value("host.hostname") else {
            continue;
        };
        let hostname = crate::context::lossy(&value.text);
        let trimmed = hostname.trim_end_matches('.');
        let key = match &hostname {
            Cow::Borrowed(text) if !text.bytes().any(|b| b.is_ascii_uppercase()) => {
                Cow::Borrowed(text.trim_end_matches('.'))
            }
            _ => Cow::Owned(trimmed.to_ascii_lowercase()),
        };
        let Some(span) = value
            .span
            .clone()
            .or_else(|| jail.param_span("host.hostname"))
        else {
            continue;
        };
        if key.is_empty() {
            continue;
        }
        let uses = by_name.entry(key).or_default();
        let name = jail.name();
        if !uses.iter().any(|(j, _, _)| *j == name) {
            uses.push((name, hostname, span));
        }
    }
    let mut groups: Vec<Uses<'_>> = by_name.into_values().filter(|u| u.len() > 1).collect();
    groups.sort_by_key(|u| (u[1].2.file, u[1].2.range.start));
    for uses in groups {
        let names: Vec<String> = uses.iter().map(|(j, _, _)| format!("`{j}`")).collect();
        let (first_jail, hostname, first_span) = &uses[0];
        // A statement shared by several jails is reported once.
        let mut reported: HashSet<&Span> = HashSet::new();
        for (jail, _, span) in &uses[1..] {
            if !reported.insert(span) {
                continue;
            }
            let mut finding = report.finding(
                format!(
                    "hostname `{hostname}` is used by jails {}",
                    super::list(&names)
                ),
                span.clone(),
            );
            if span == first_span {
                finding = finding
                    .with_label("every one of these jails gets this hostname")
                    .with_help(
                        "make it unique per jail, e.g. `host.hostname = \"${name}.example.org\";`",
                    );
            } else {
                finding = finding
                    .with_label(format!("hostname of `{jail}`"))
                    .with_secondary(first_span.clone(), format!("hostname of `{first_jail}`"))
                    .with_help("give each jail its own hostname");
            }
            report.push(finding);
        }
    }
}
