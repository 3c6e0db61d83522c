//! JC073 `missing-dev-dir`: `mount.devfs` with no `PATH/dev` directory.

use jailconf_parser::diag::Severity;

use crate::context::{Context, JailRef};
use crate::fstab::FstabLine;
use crate::rule::{Category, Check, Report, Rule};

use super::jc072_missing_path::{is_dir, named_by_hook};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC073",
    name: "missing-dev-dir",
    category: Category::Operations,
    severity: Severity::Error,
    summary: "mount.devfs is set but PATH/dev does not exist",
    docs: r#"## What it does
On the live host (`jailconf lint --host`), checks that a jail with
`mount.devfs` has a `dev` directory under its `path`. It stays silent
when the path itself is missing (that is `missing-path`, JC072), when a
`mount` entry or `mount.fstab` line mounts something on the jail's root
(a thin jail's base appears only then), or when an `exec.prepare` hook
names the directory. Without `--host` the rule does not run.

## Why
jail(8) mounts devfs on `PATH/dev` before it creates the jail; without
the directory the mount fails
(`mount.devfs: /jails/web/dev: No such file or directory`) and the jail
does not start. It happens with a root that was never populated (an
empty dataset) or a base system extracted without its `dev` directory.

## Example
```
web {
    path = "/jails/web";
    mount.devfs;
}
```
on a host where `/jails/web` exists but `/jails/web/dev` does not.

## Fix
Populate the jail's root with a base system, or create the mount point:
`mkdir /jails/web/dev`."#,
    needs_host_facts: true,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    if context.facts.live.is_none() {
        return;
    }
    for jail in context.jails() {
        if jail.flag("mount.devfs") != Some(true) {
            continue;
        }
        let Some(path) = jail.last_value("path") else {
            continue;
        };
        let root = crate::context::lossy(&path.text)
            .trim_end_matches('/')
            .to_string();
        let dev = format!("{root}/dev");
        if !path.text.starts_with(b"/")
            || !is_dir(if root.is_empty() { "/" } else { &root })
            || is_dir(&dev)
            || named_by_hook(jail, &["exec.prepare"], &dev)
            || mounts_on_root(jail, &root)
        {
            continue;
        }
        let Some(span) = jail.param_span("mount.devfs") else {
            continue;
        };
        let mut finding = report
            .finding(
                format!(
                    "`{dev}` does not exist: jail `{}` cannot mount devfs",
                    jail.name()
                ),
                span,
            )
            .with_label("devfs is mounted on PATH/dev")
            .with_help(format!(
                "populate the jail's root with a base system, or create the mount point (`mkdir {dev}`)"
            ));
        if let Some(path_span) = path.span.clone() {
            finding = finding.with_secondary(path_span, "the jail's root");
        }
        report.push(finding);
    }
}

/// Whether a `mount` entry or a `mount.fstab` line mounts something on the
/// jail's root or its `dev` (then `dev` may appear only when mounted).
fn mounts_on_root(jail: &JailRef<'_>, root: &str) -> bool {
    let mut lines: Vec<String> = jail
        .values("mount")
        .iter()
        .map(|v| crate::context::lossy(&v.text).into_owned())
        .collect();
    for fstab in jail.values("mount.fstab") {
        if let Ok(text) = std::fs::read_to_string(crate::context::lossy(&fstab.text).as_ref()) {
            lines.extend(
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or("").to_string()),
            );
        }
    }
    lines
        .iter()
        .filter_map(|line| FstabLine::parse(line))
        .any(|line| {
            let target = line.mount_point.trim_end_matches('/');
            target == root || target == format!("{root}/dev")
        })
}
