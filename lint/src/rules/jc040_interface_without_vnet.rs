//! JC040 `interface-without-vnet`: `vnet.interface` on a jail that has no
//! network stack of its own, which makes `jail -c` fail.

use std::cell::OnceCell;

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::model::equal_opts;
use jailconf_parser::source::Span;

use crate::commands::{NetAction, Side};
use crate::context::{lossy, Batch, Context, JailRef, StatementRef};
use crate::hash::FastMap;
use crate::rule::{batch_place_check, Category, Check, JailCheck, Rule};

use super::is_own_block;

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC040",
    name: "interface-without-vnet",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "vnet.interface on a jail without vnet, which jail -c cannot move it into",
    docs: r#"## What it does
Reports jails that set `vnet.interface` but not `vnet`, so they share
the host's network stack. When the statement is in the
jail's own block and nothing else stands in the way, it offers to add
`vnet;` before it (an unsafe fix: the jail gets its own network stack).

## Why
After creating the jail, jail(8) runs `ifconfig IF vnet JAIL` for each
`vnet.interface`. The kernel refuses to move an interface into a jail
whose network stack is the host's own (`SIOCSIFVNET: File exists`), so
`jail -c` fails and jail(8) undoes the creation. It does not run
`exec.poststop` then: an epair created in `exec.prestart` stays behind,
and the next start fails earlier, with `interface epairN already
exists`, which hides the real cause. The usual mistake is a `vnet;` line
lost while copying a VNET jail's block.

## Example
```
web {
    vnet.interface = "epair7b";
    exec.prestart = "ifconfig epair7 create up";
    exec.prestart += "ifconfig bridge0 addm epair7a up";
    exec.start = "/bin/sh /etc/rc";
    exec.poststop = "ifconfig epair7a destroy";
}
```

## Fix
```
web {
    vnet;
    vnet.interface = "epair7b";
    ...
}
```
For a jail that is meant to share the host's network stack, remove
`vnet.interface` and give it addresses with `ip4.addr`/`ip6.addr`
instead. After a failed start, destroy the leftover epair by hand
(`ifconfig epair7a destroy`)."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Jails(check),
};

/// The hooks that run before the interfaces are moved in: what they
/// create stays behind when the creation is undone.
const BEFORE_MOVE: [&str; 3] = ["exec.prepare", "exec.prestart", "exec.created"];

/// What one jail has at a place.
struct Found {
    /// The first interface moved in.
    interface: String,
    /// The jail's own `vnet` statement (`vnet = inherit`) with its text.
    vnet: Option<(Span, String)>,
    /// The first thing a hook creates before the move, and where.
    created: Option<Created>,
    /// The address restriction the jail has (`ip4.addr`, …), if any.
    restriction: Option<&'static str>,
    /// Adding `vnet;`, when the place is the jail's own block.
    fix: Option<Fix>,
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // The `vnet.interface` statements by place, for the fix: gathered at
    // the first finding (most configurations have none).
    let at: OnceCell<FastMap<(u32, u32), &StatementRef<'_>>> = OnceCell::new();
    batch_place_check(
        move |found, jail, batch| {
            // `vnet` may be in the part jail(8) could not read.
            if context.config.fatal || jail.is_vnet() {
                return;
            }
            let Some((span, interface)) = moved_in(jail) else {
                return;
            };
            let vnet = jail.param("vnet").and_then(|p| {
                let shown = match p.values.last() {
                    Some(v) => format!("vnet = {}", lossy(&v.text)),
                    None => "vnet".to_string(),
                };
                p.span.clone().map(|span| (span, shown))
            });
            let restriction = address_restriction(jail);
            let fix = (vnet.is_none() && restriction.is_none())
                .then(|| {
                    let at = at.get_or_init(|| {
                        (context.statements().iter())
                            .filter(|s| !s.is_var && equal_opts(&s.name, b"vnet.interface"))
                            .map(|s| ((s.file.0, s.range.start), s))
                            .collect()
                    });
                    add_vnet(context, at, jail)
                })
                .flatten();
            let created = created_before_move(jail, batch);
            found.add(
                span,
                "",
                jail,
                Found {
                    interface,
                    vnet,
                    created,
                    restriction,
                    fix,
                },
            );
        },
        |mut place, report| {
            let jails = place.jails_text();
            let several = place.jail_count() > 1;
            let Some((_, first)) = place.items.first_mut() else {
                return;
            };
            let message = if several {
                format!("`vnet.interface` hands interfaces to {jails}, which have no network stack of their own (no `vnet`)")
            } else {
                format!(
                    "`vnet.interface` hands `{}` to {jails}, which has no network stack of its own (no `vnet`)",
                    first.interface
                )
            };
            let label = if several {
                "jail(8) cannot move these interfaces in: `jail -c` fails".to_string()
            } else {
                format!(
                    "jail(8) cannot move `{}` into the jail: `jail -c` fails",
                    first.interface
                )
            };
            let mut finding = report
                .finding(message, place.span.clone())
                .with_label(label);
            let mut help = match (&first.vnet, first.restriction) {
                (_, Some(restriction)) => format!("remove `vnet.interface`: the jail shares the host's network stack and has `{restriction}`; for a VNET jail, set `vnet;` and move the addresses into the jail"),
                (Some((span, shown)), None) => {
                    finding = finding.with_secondary(
                        span.clone(),
                        format!("`{shown}` keeps the host's network stack"),
                    );
                    format!("replace `{shown}` with `vnet;` for a VNET jail, or remove `vnet.interface` for a jail that shares the host's network stack")
                }
                (None, None) => "add `vnet;` to give the jail its own network stack, or remove `vnet.interface` for a jail that shares the host's".to_string(),
            };
            if let Some(created) = &first.created {
                finding = finding.with_secondary(
                    created.span.clone(),
                    format!(
                        "`{}` is created before it and left behind when jail(8) undoes the creation",
                        created.shown
                    ),
                );
                help.push_str(&format!(
                    "; after a failed start, remove the leftover by hand (`ifconfig {} destroy`)",
                    created.leftover
                ));
            }
            finding.fix = if several { None } else { first.fix.take() };
            report.push(finding.with_help(help));
        },
    )
}

/// The first interface `vnet.interface` moves into `jail` (its first
/// non-empty value) and where.
fn moved_in(jail: &JailRef<'_>) -> Option<(Span, String)> {
    let value = jail
        .values("vnet.interface")
        .iter()
        .find(|v| !v.text.is_empty())?;
    let span = value
        .span
        .clone()
        .or_else(|| jail.param_span("vnet.interface"))?;
    Some((span, lossy(&value.text).into_owned()))
}

/// The address restriction the jail sets (`ip4.addr`, `ip6`, …): adding
/// `vnet` would then trade this error for another (JC031).
fn address_restriction(jail: &JailRef<'_>) -> Option<&'static str> {
    ["ip4.addr", "ip6.addr", "ip4", "ip6"]
        .into_iter()
        .find(|name| jail.param(name).is_some())
}

/// An interface a host-side hook creates before the move.
struct Created {
    /// As the hook names it (`epair14`).
    shown: String,
    /// The interface to destroy to remove it (`epair14a`).
    leftover: String,
    /// The hook command.
    span: Span,
}

/// The first interface that a host-side hook creates before the move.
fn created_before_move(jail: &JailRef<'_>, batch: &Batch<'_, '_>) -> Option<Created> {
    batch.net(jail).actions.iter().find_map(|action| {
        if action.side != Side::Host || !BEFORE_MOVE.contains(&action.hook) {
            return None;
        }
        let leftover = action.action.created_interfaces().into_iter().next()?;
        let shown = match &action.action {
            NetAction::Create(name) => name.to_string(),
            _ => leftover.clone(),
        };
        Some(Created {
            shown,
            leftover,
            span: action.span.clone(),
        })
    })
}

/// Adds `vnet;` before the statement that sets `vnet.interface`, when it
/// is in the jail's own block: on a line of its own with the same
/// indentation when the statement starts its line.
fn add_vnet(
    context: &Context<'_>,
    at: &FastMap<(u32, u32), &StatementRef<'_>>,
    jail: &JailRef<'_>,
) -> Option<Fix> {
    let span = jail.param("vnet.interface")?.span.clone()?;
    let statement = at.get(&(span.file.0, span.range.start))?;
    let block = statement.block?;
    if !is_own_block(context, statement, block, jail) {
        return None;
    }
    let text = context.config.sources.get(span.file).text();
    let start = span.range.start as usize;
    let line_start = text[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let indent = &text[line_start..start];
    let new_text = if indent.iter().all(|b| matches!(b, b' ' | b'\t')) {
        format!("vnet;\n{}", String::from_utf8_lossy(indent))
    } else {
        "vnet; ".to_string()
    };
    Some(Fix {
        title: "add `vnet;`".to_string(),
        safe: false,
        edits: vec![TextEdit {
            span: Span::new(span.file, span.range.start..span.range.start),
            new_text,
        }],
    })
}
