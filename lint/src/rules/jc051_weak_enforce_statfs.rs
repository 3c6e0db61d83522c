//! JC051 `weak-enforce-statfs`: `enforce_statfs` below 2 where nothing
//! needs it.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC051",
    name: "weak-enforce-statfs",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "enforce_statfs below 2 shows the jail the host's mount points",
    docs: r#"## What it does
Reports `enforce_statfs = 0` in any jail, and (as information)
`enforce_statfs = 1` in a jail that is not allowed to mount anything (no
`allow.mount` or `allow.mount.*`). Mounting inside a jail needs
`enforce_statfs` below 2, so `1` together with mount permissions is the
documented setting and is not reported.

## Why
`enforce_statfs` decides which mount points the jail sees: 2 (the
default) only its own root, 1 those below its root, 0 every mount point
of the host, with the host's paths, devices and ZFS dataset names. That
maps the host for an attacker in the jail, and with `allow.mount` a value
of 0 is never needed: 1 is enough to mount. With 1 the jail also sees
where the file systems mounted into it come from (host directories,
dataset names); that is less, but only worth it when programs in the jail
must list those mounts (`df`, `/proc/mounts` in a Linux jail).

## Example
```
web {
    path = "/jails/web";
    enforce_statfs = 0;
}
```

## Fix
Remove the line (the default is 2). If the jail must mount file systems
(`allow.mount` with `allow.mount.nullfs`, `allow.mount.zfs`, …), use
`enforce_statfs = 1`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Key: the value's place, the value and whether the jail may mount.
    place_check(
        move |found, jail| {
            let Some((level, value)) = jail.int("enforce_statfs") else {
                return;
            };
            let may_mount = !jail.mount_permissions().is_empty();
            // Values outside 0..=2 are rejected by the kernel (another rule).
            if !(0..=1).contains(&level) || (level == 1 && may_mount) {
                return;
            }
            let Some(span) = value
                .span
                .clone()
                .or_else(|| jail.param_span("enforce_statfs"))
            else {
                return;
            };
            found.add(
                span,
                format!("{level} {may_mount}"),
                jail,
                (level, may_mount),
            );
        },
        move |place, report| {
            let Some(&(_, (level, may_mount))) = place.items.first() else {
                return;
            };
            let jails = place.jails_text();
            let (message, label, help) = if level == 1 {
                (
                    format!("`enforce_statfs = 1` in {jails}, which may not mount anything"),
                    "the jail sees the mount points below its root and where they come from",
                    "remove it to get the default 2, unless programs in the jail must list the file systems mounted into it (`df`, /proc/mounts)",
                )
            } else {
                let help = if may_mount {
                    "use `enforce_statfs = 1`: it is enough for `allow.mount`"
                } else {
                    "remove it to get the default 2 (only the jail's own root is visible)"
                };
                (
                    format!("`enforce_statfs = 0` shows every host mount point to {jails}"),
                    "the host's mount points, devices and datasets are visible",
                    help,
                )
            };
            let mut finding = report
                .finding(message, place.span.clone())
                .with_label(label)
                .with_help(help);
            if level == 1 {
                finding.severity = Severity::Info;
            }
            report.push(finding);
        },
    )
}
