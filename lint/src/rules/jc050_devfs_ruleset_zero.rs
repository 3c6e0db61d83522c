//! JC050 `devfs-ruleset-zero`: `mount.devfs` with `devfs_ruleset = 0`.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC050",
    name: "devfs-ruleset-zero",
    category: Category::Security,
    severity: Severity::Error,
    summary: "devfs is mounted in a jail with ruleset 0, which hides no device",
    docs: r#"## What it does
Reports jails with `mount.devfs` whose `devfs_ruleset` is 0. Without
`devfs_ruleset`, jail(8) mounts the jail's `/dev` with ruleset 4
(`devfsrules_jail`), which is fine.

## Why
Ruleset 0 means "no ruleset": the jail's `/dev` shows every device of the
host — the raw disks (`/dev/ada0`, `/dev/nvd0`), `/dev/zfs`, `/dev/pf`,
`/dev/bpf`. Root in the jail can open the host's disks directly and read
or change any file on them, which is a complete escape from the jail.

## Example
```
web {
    path = "/jails/web";
    mount.devfs;
    devfs_ruleset = 0;
}
```

## Fix
Use the jail ruleset `devfs_ruleset = 4` (or remove the line to get it),
or a ruleset of your own from `/etc/devfs.rules` that starts with
`add include $devfsrules_jail` and unhides only what the jail needs (for
example `bpf` for DHCP)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // The `devfs_ruleset` value -> the jails it applies to, with the
    // `mount.devfs` statement of each.
    place_check(
        move |found, jail| {
            if jail.flag("mount.devfs") != Some(true) {
                return;
            }
            let Some((0, value)) = jail.int("devfs_ruleset") else {
                return;
            };
            let Some(span) = value
                .span
                .clone()
                .or_else(|| jail.param_span("devfs_ruleset"))
            else {
                return;
            };
            let mount = jail.param_any("mount.devfs").and_then(|p| p.span.clone());
            found.add(span, "", jail, mount);
        },
        move |place, report| {
            let mut finding = report
                .finding(
                    format!(
                        "`mount.devfs` with `devfs_ruleset = 0` shows every host device to {}",
                        place.jails_text()
                    ),
                    place.span.clone(),
                )
                .with_label("0 means no ruleset")
                .with_help("use `devfs_ruleset = 4` (devfsrules_jail, also the default when unset) or a ruleset of your own from /etc/devfs.rules");
            if let Some((_, Some(mount))) = place.items.first() {
                finding = finding.with_secondary(mount.clone(), "devfs is mounted here");
            }
            report.push(finding);
        },
    )
}
