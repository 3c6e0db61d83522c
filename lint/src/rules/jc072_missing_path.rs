//! JC072 `missing-path`: a jail's `path` does not exist on this host or is
//! not a directory.

use std::path::Path;

use jailconf_parser::diag::Severity;

use crate::context::{Context, JailRef};
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC072",
    name: "missing-path",
    category: Category::Operations,
    severity: Severity::Error,
    summary: "the jail's path does not exist on this host",
    docs: r#"## What it does
On the live host (`jailconf lint --host`), checks that each jail's
`path` exists and is a directory. A path that an `exec.prepare` or
`exec.prestart` hook names (for example a `zfs clone` made at start) is
not checked, and relative paths are left alone. Without `--host` the
rule does not run.

## Why
jail(8) checks the path just before it creates the jail and refuses to
go on (`path /jails/web: No such file or directory`). The usual causes
are a dataset that is not mounted, a typo, or a jail moved or renamed on
disk without updating its configuration.

## Example
```
web {
    path = "/jails/web";
    exec.start = "/bin/sh /etc/rc";
}
```
on a host without `/jails/web`.

## Fix
Create the jail's root (extract a base system or clone a template), mount
its dataset, or correct `path`."#,
    needs_host_facts: true,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    if context.facts.live.is_none() {
        return;
    }
    for jail in context.jails() {
        let Some(value) = jail.last_value("path") else {
            continue;
        };
        let path = crate::context::lossy(&value.text).into_owned();
        if !path.starts_with('/') || named_by_hook(jail, &["exec.prepare", "exec.prestart"], &path)
        {
            continue;
        }
        let problem = match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => "does not exist",
            Ok(m) if !m.is_dir() => "is not a directory",
            _ => continue,
        };
        let Some(span) = value.span.clone().or_else(|| jail.param_span("path")) else {
            continue;
        };
        let finding = report
            .finding(
                format!("path `{path}` of jail `{}` {problem} on this host", jail.name()),
                span,
            )
            .with_label(format!("jail(8) refuses to create the jail: the path {problem}"))
            .with_help(
                "create the jail's root (extract a base system or clone a template), mount its dataset, or correct `path`",
            );
        report.push(finding);
    }
}

/// Whether one of the host hooks `hooks` names `text` (it may create or
/// mount it before it is needed).
pub(crate) fn named_by_hook(jail: &JailRef<'_>, hooks: &[&str], text: &str) -> bool {
    hooks.iter().any(|hook| {
        jail.values(hook)
            .iter()
            .any(|v| crate::context::lossy(&v.text).contains(text))
    })
}

/// Whether a path is an existing directory.
pub(crate) fn is_dir(path: &str) -> bool {
    Path::new(path).is_dir()
}
