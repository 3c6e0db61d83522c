//! JC017 `no-persist-or-command`: nothing keeps a jail running.

use jailconf_parser::diag::Severity;

use crate::context::{Context, JailRef};
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC017",
    name: "no-persist-or-command",
    category: Category::Operations,
    severity: Severity::Warning,
    summary: "a jail with neither `persist` nor `exec.start`/`command`",
    docs: r#"## What it does
Reports a jail that has no `persist` (or has `nopersist`), and no
`exec.start` or `command` with a command in it, after inheritance from
the global section and wildcard blocks.

## Why
A jail without `persist` lives only as long as it has processes. With
no command to start any, the kernel refuses to create it (`new jail must
persist or attach`); with only an `exec.poststart`, jail(8) creates it
and it disappears immediately.

## Example
```
web {
    path = /jails/web;
    ip4.addr = 192.0.2.10;
}
```

## Fix
Add `persist;` (a jail kept for `jexec` or services started later), or
start something inside it: `exec.start = "/bin/sh /etc/rc";`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// Whether the jail runs a command inside it when started.
fn starts_something(jail: &JailRef<'_>) -> bool {
    ["exec.start", "command"]
        .iter()
        .any(|name| jail.values(name).iter().any(|v| !v.text.is_empty()))
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    jail_check(
        (),
        move |_, jail, report| {
            // A jail that failed to configure is not started at all.
            if jail.jail.failed || jail.flag("persist") == Some(true) || starts_something(jail) {
                return;
            }
            let Some(span) = jail.span() else { return };
            // A file jail(8) refuses may hide the statements that keep it up.
            if context.run_refused(span.file) {
                return;
            }
            let name = jail.name();
            let empty: Vec<&str> = ["exec.start", "command"]
                .into_iter()
                .filter(|p| jail.param(p).is_some())
                .collect();
            let why = match empty.as_slice() {
                [] => "no `persist`, `exec.start` or `command`".to_string(),
                [one] => format!("no `persist`, and `{one}` runs nothing"),
                _ => "no `persist`, and `exec.start` and `command` run nothing".to_string(),
            };
            let mut finding = report
                .finding(format!("nothing keeps jail `{name}` running: {why}"), span)
                .with_label("has no processes once created")
                .with_help("add `persist;`, or an `exec.start` that starts services (e.g. `exec.start = \"/bin/sh /etc/rc\";`)");
            if let Some(param) = jail.param_any("persist") {
                if let Some(at) = &param.span {
                    finding = finding.with_secondary(
                        at.clone(),
                        format!("`{}` here", crate::context::lossy(&param.name)),
                    );
                }
            }
            report.push(finding);
        },
        |_, _| {},
    )
}
