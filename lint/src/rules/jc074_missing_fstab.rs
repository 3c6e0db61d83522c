//! JC074 `missing-fstab`: a `mount.fstab` file that does not exist.

use std::path::Path;

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

use super::jc072_missing_path::named_by_hook;

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC074",
    name: "missing-fstab",
    category: Category::Operations,
    severity: Severity::Error,
    summary: "a mount.fstab file that does not exist on this host",
    docs: r#"## What it does
On the live host (`jailconf lint --host`), checks that every file named
by `mount.fstab` exists and is a regular file. Relative names and files
an `exec.prepare` hook names (it may write them) are left alone. Without
`--host` the rule does not run.

## Why
jail(8) reads the fstab file before it creates the jail and fails when
it cannot open it (`/etc/fstab.web: No such file or directory`), so the
jail does not start. An empty fstab file is fine; a missing one is not.

## Example
```
web {
    path = "/jails/web";
    mount.fstab = "/etc/fstab.${name}";
}
```
on a host without `/etc/fstab.web`.

## Fix
Create the file (`touch /etc/fstab.web` for an empty one), correct the
name, or remove `mount.fstab`."#,
    needs_host_facts: true,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    if context.facts.live.is_none() {
        return;
    }
    for jail in context.jails() {
        for value in jail.values("mount.fstab") {
            let file = crate::context::lossy(&value.text).into_owned();
            if !file.starts_with('/') || named_by_hook(jail, &["exec.prepare"], &file) {
                continue;
            }
            let (problem, help) = match std::fs::metadata(Path::new(&file)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (
                    "does not exist",
                    format!("create it (`touch {file}` for an empty one), correct the name, or remove `mount.fstab`"),
                ),
                Ok(m) if m.is_dir() => (
                    "is a directory",
                    "name an fstab(5) file, not a directory, or remove `mount.fstab`".to_string(),
                ),
                _ => continue,
            };
            let Some(span) = value
                .span
                .clone()
                .or_else(|| jail.param_span("mount.fstab"))
            else {
                continue;
            };
            let finding = report
                .finding(
                    format!(
                        "fstab file `{file}` of jail `{}` {problem} on this host",
                        jail.name()
                    ),
                    span,
                )
                .with_label("jail(8) cannot read it and does not start the jail")
                .with_help(help);
            report.push(finding);
        }
    }
}
