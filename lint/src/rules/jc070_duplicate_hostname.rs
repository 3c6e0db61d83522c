//! JC070 `duplicate-hostname`: two jails with the same `host.hostname`.

use std::borrow::Cow;
use std::collections::HashSet;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::context::Context;
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};
use crate::shared_keys::{sort_by_second_use, KeyUses};

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
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Normalised hostname -> (jail name, hostname as written, span).
    let by_name: KeyUses<Cow<'_, str>, (Cow<'_, str>, Cow<'_, str>, Span)> =
        KeyUses::with_capacity(context.jails().len());
    jail_check(
        by_name,
        move |by_name, jail, _| {
            let Some(value) = jail.last_value("host.hostname") else {
                return;
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
                return;
            };
            if key.is_empty() {
                return;
            }
            by_name.push(key, (jail.name(), hostname, span));
        },
        move |by_name, report| {
            // A jail defined twice (JC010) does not share with itself.
            let mut groups = by_name.shared(|(name, _, _)| name.clone());
            sort_by_second_use(&mut groups, |(_, _, span)| span);
            for (_, uses) in groups {
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
                            .with_secondary(
                                first_span.clone(),
                                format!("hostname of `{first_jail}`"),
                            )
                            .with_help("give each jail its own hostname");
                    }
                    report.push(finding);
                }
            }
        },
    )
}
