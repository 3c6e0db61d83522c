//! JC052 `mount-allowed-without-effect`: mount permissions while
//! `enforce_statfs` is 2, or `allow.mount.*` without `allow.mount`.

use jailconf_parser::diag::Severity;
use jailconf_parser::model::equal_opts;
use jailconf_parser::source::Span;

use super::list;
use crate::context::Context;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC052",
    name: "mount-allowed-without-effect",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "a mount permission without effect: enforce_statfs = 2, or allow.mount.* without allow.mount",
    docs: r#"## What it does
Reports jails that enable `allow.mount` or an `allow.mount.*` permission
while `enforce_statfs` is 2 — set explicitly or left at its default —
and jails that enable an `allow.mount.*` permission without
`allow.mount` itself.

## Why
The kernel lets a jail mount or unmount only when `allow.mount` is set
*and* `enforce_statfs` is below 2; a file-system permission such as
`allow.mount.procfs` only narrows that down to a file system. Without
both, the permission does nothing: `mount` inside the jail fails with
"Operation not permitted", and the configuration claims a permission the
jail does not have (or a hardening someone expects is missing the other
half). The mounts jail(8) makes itself (`mount.devfs`, `mount.procfs`,
`mount`) happen on the host and need none of these permissions.

## Example
```
db {
    allow.mount;
    allow.mount.zfs;
    zfs.dataset = "tank/db";
}

wazuh {
    enforce_statfs = 1;
    allow.mount.procfs;
}
```

## Fix
If the jail must mount file systems, add `enforce_statfs = 1` and
`allow.mount` (whichever is missing); otherwise remove the `allow.mount`
parameters."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// What one jail has: the permission pointed at, the other enabled ones
/// and the explicit `enforce_statfs` value, if any.
struct Found {
    name: String,
    others: Vec<String>,
    /// Why the permission has no effect: `enforce_statfs` is 2 (with its
    /// statement, `None` for the default)…
    enforce: Option<Option<Span>>,
    /// …and/or `allow.mount` is not on (with an `allow.nomount`-style
    /// statement that turns it off).
    no_allow_mount: Option<Option<Span>>,
}

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    place_check(
        move |found, jail| {
            let enforce = match jail.int("enforce_statfs") {
                Some((2, value)) => Some(
                    value
                        .span
                        .clone()
                        .or_else(|| jail.param_span("enforce_statfs")),
                ),
                Some(_) => None,
                None => Some(None),
            };
            let permissions = jail.mount_permissions();
            let allow_mount = permissions
                .iter()
                .find(|p| equal_opts(&p.name, b"allow.mount"))
                .copied();
            let no_allow_mount = match allow_mount {
                Some(_) => None,
                None => Some(jail.param_any("allow.mount").and_then(|p| p.span.clone())),
            };
            if enforce.is_none() && no_allow_mount.is_none() {
                return;
            }
            let Some(main) = allow_mount.or_else(|| permissions.first().copied()) else {
                return;
            };
            let Some(span) = main.span.clone() else {
                return;
            };
            let others = permissions
                .iter()
                .filter(|p| !std::ptr::eq(**p, main))
                .map(|p| format!("`{}`", crate::context::lossy(&p.name)))
                .collect();
            let key = format!(
                "{:?} {:?}",
                enforce
                    .as_ref()
                    .map(|s| s.as_ref().map(|s| (s.file, &s.range))),
                no_allow_mount
                    .as_ref()
                    .map(|s| s.as_ref().map(|s| (s.file, &s.range)))
            );
            let name = main.name_str().into_owned();
            found.add(
                span,
                key,
                jail,
                Found {
                    name,
                    others,
                    enforce,
                    no_allow_mount,
                },
            );
        },
        move |place, report| {
            let Some((_, first)) = place.items.first() else {
                return;
            };
            let name = &first.name;
            let statfs = first.enforce.as_ref().map(|setting| match setting {
                Some(_) => "`enforce_statfs` is 2",
                None => "`enforce_statfs` is 2 (the default)",
            });
            let allow = first.no_allow_mount.as_ref().map(|setting| match setting {
                Some(_) => "`allow.mount` is off",
                None => "`allow.mount` is not set",
            });
            let (reason, help) = match (allow, statfs) {
                (Some(allow), Some(statfs)) => (
                    format!("{allow} and {statfs}"),
                    "add `allow.mount;` and `enforce_statfs = 1` if the jail must mount file systems, otherwise remove the `allow.mount` parameters",
                ),
                (Some(allow), None) => (
                    allow.to_string(),
                    "add `allow.mount;` if the jail must mount file systems, otherwise remove the `allow.mount` parameters",
                ),
                (None, Some(statfs)) => (
                    statfs.to_string(),
                    "add `enforce_statfs = 1` if the jail must mount file systems, otherwise remove the `allow.mount` parameters",
                ),
                (None, None) => return,
            };
            let label = if first.others.is_empty() {
                "mounting is allowed here".to_string()
            } else {
                format!("mounting is allowed here (with {})", list(&first.others))
            };
            let mut finding = report
                .finding(
                    format!("`{name}` has no effect in {}: {reason}", place.jails_text()),
                    place.span.clone(),
                )
                .with_label(label)
                .with_help(help);
            if let Some(Some(enforce)) = &first.enforce {
                finding = finding.with_secondary(enforce.clone(), "mounting needs a value below 2");
            }
            if let Some(Some(off)) = &first.no_allow_mount {
                finding = finding.with_secondary(off.clone(), "mounting is switched off here");
            }
            report.push(finding);
        },
    )
}
