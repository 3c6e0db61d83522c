//! JC055 `deprecated-sysvipc`: `allow.sysvipc` instead of the per-jail
//! `sysvmsg`/`sysvsem`/`sysvshm`.

use jailconf_parser::diag::{Fix, Severity, TextEdit};

use crate::context::Context;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

use super::statement_removal;

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC055",
    name: "deprecated-sysvipc",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "allow.sysvipc is deprecated and shares the host's System V IPC",
    docs: r#"## What it does
Reports jails that enable `allow.sysvipc`, and offers to replace it with
`sysvmsg = new; sysvsem = new; sysvshm = new;` (an unsafe fix: the
meaning changes, see below). Parameters among the three that the jail
already sets itself are left out of the replacement; when it sets all
three, `allow.sysvipc` has no effect and the fix removes it.

## Why
Since FreeBSD 11, `allow.sysvipc` is a deprecated way of saying
`sysvmsg`, `sysvsem` and `sysvshm = inherit`: the jail shares the host's
System V message queues, semaphores and shared memory with the host and
every other such jail. Processes in the jail can read and destroy the IPC
objects of PostgreSQL or other services outside it. With `new` the jail
gets its own IPC namespaces, which is what databases in jails need.

## Example
```
db {
    path = "/jails/db";
    allow.sysvipc;
}
```

## Fix
```
db {
    path = "/jails/db";
    sysvmsg = new; sysvsem = new; sysvshm = new;
}
```
Use `inherit` instead of `new` only if the jail must share IPC objects
with the host on purpose."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Jails(check),
};

const SYSV: [&str; 3] = ["sysvmsg", "sysvsem", "sysvshm"];

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // For each jail: which of the three it sets itself.
    place_check(
        move |found, jail| {
            if jail.flag("allow.sysvipc") != Some(true) {
                return;
            }
            let Some(span) = jail.param_any("allow.sysvipc").and_then(|p| p.span.clone()) else {
                return;
            };
            let set: Vec<bool> = SYSV.iter().map(|n| jail.param(n).is_some()).collect();
            found.add(span, "", jail, set);
        },
        move |place, report| {
            // A parameter every jail sets itself is left out: the kernel
            // prefers it to `allow.sysvipc`, and a new statement could
            // override it.
            let missing: Vec<&str> = SYSV
                .iter()
                .enumerate()
                .filter(|(i, _)| !place.items.iter().all(|(_, set)| set[*i]))
                .map(|(_, n)| *n)
                .collect();
            let jails = place.jails_text();
            let finding = if missing.is_empty() {
                let mut finding = report
                    .finding(
                        format!("the deprecated `allow.sysvipc` has no effect in {jails}: `sysvmsg`, `sysvsem` and `sysvshm` are set"),
                        place.span.clone(),
                    )
                    .with_label("deprecated since FreeBSD 11")
                    .with_help("remove it: the explicit `sysvmsg`, `sysvsem` and `sysvshm` take precedence");
                finding.fix = Some(Fix {
                    title: "remove `allow.sysvipc`".to_string(),
                    safe: false,
                    edits: vec![TextEdit {
                        span: statement_removal(context, &place.span),
                        new_text: String::new(),
                    }],
                });
                finding
            } else {
                let replacement = missing
                    .iter()
                    .map(|n| format!("{n} = new;"))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut finding = report
                    .finding(
                        format!("the deprecated `allow.sysvipc` shares the host's System V IPC with {jails}"),
                        place.span.clone(),
                    )
                    .with_label("deprecated since FreeBSD 11")
                    .with_help(format!(
                        "give each jail its own IPC namespaces: replace it with `{replacement}`"
                    ));
                finding.fix = Some(Fix {
                    title: format!("replace with `{replacement}`"),
                    safe: false,
                    edits: vec![TextEdit {
                        span: place.span.clone(),
                        new_text: replacement,
                    }],
                });
                finding
            };
            report.push(finding);
        },
    )
}
