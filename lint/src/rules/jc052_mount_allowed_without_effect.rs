//! JC052 `mount-allowed-without-effect`: mount permissions while
//! `enforce_statfs` is 2.

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
    summary: "allow.mount is set but enforce_statfs = 2 forbids mounting",
    docs: r#"## What it does
Reports jails that enable `allow.mount` or an `allow.mount.*` permission
while `enforce_statfs` is 2 — set explicitly or left at its default.

## Why
The kernel lets a jail mount or unmount only when `allow.mount` is set
*and* `enforce_statfs` is below 2. With 2 the permission does nothing:
`mount` inside the jail fails with "Operation not permitted", and the
configuration claims a permission the jail does not have (or a hardening
someone expects is missing the other half).

## Example
```
db {
    allow.mount;
    allow.mount.zfs;
    zfs.dataset = "tank/db";
}
```

## Fix
If the jail must mount file systems, add `enforce_statfs = 1`; otherwise
remove the `allow.mount` parameters."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// What one jail has: the permission pointed at, the other enabled ones
/// and the explicit `enforce_statfs` value, if any.
struct Found {
    name: String,
    others: Vec<String>,
    enforce: Option<Span>,
}

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    place_check(
        move |found, jail| {
            let enforce = match jail.int("enforce_statfs") {
                Some((2, value)) => value
                    .span
                    .clone()
                    .or_else(|| jail.param_span("enforce_statfs")),
                Some(_) => return,
                None => None,
            };
            let permissions = jail.mount_permissions();
            // Point at `allow.mount` when it is set, else at the first one.
            let Some(main) = permissions
                .iter()
                .find(|p| equal_opts(&p.name, b"allow.mount"))
                .or_else(|| permissions.first())
                .copied()
            else {
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
            let key = format!("{:?}", enforce.as_ref().map(|s| (s.file, &s.range)));
            let name = main.name_str().into_owned();
            found.add(
                span,
                key,
                jail,
                Found {
                    name,
                    others,
                    enforce,
                },
            );
        },
        move |place, report| {
            let Some((_, first)) = place.items.first() else {
                return;
            };
            let name = &first.name;
            let setting = if first.enforce.is_some() {
                "`enforce_statfs` is 2"
            } else {
                "`enforce_statfs` is 2 (the default)"
            };
            let label = if first.others.is_empty() {
                "mounting is allowed here".to_string()
            } else {
                format!("mounting is allowed here (with {})", list(&first.others))
            };
            let mut finding = report
                .finding(
                    format!(
                        "`{name}` has no effect in {}: {setting}",
                        place.jails_text()
                    ),
                    place.span.clone(),
                )
                .with_label(label)
                .with_help("add `enforce_statfs = 1` if the jail must mount file systems, otherwise remove the `allow.mount` parameters");
            if let Some(enforce) = &first.enforce {
                finding = finding.with_secondary(enforce.clone(), "mounting needs a value below 2");
            }
            report.push(finding);
        },
    )
}
