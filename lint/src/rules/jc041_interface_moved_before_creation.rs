//! JC041 `interface-moved-before-creation`: `ifconfig IF vnet JAIL` in a
//! hook that runs before the jail exists.

use std::cell::OnceCell;

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::source::Span;
use jailconf_parser::syntax::NodeKind;

use crate::commands::{NetAction, Side};
use crate::context::{lossy, Context, JailRef, StatementRef};
use crate::rule::{batch_place_check, Category, Check, JailCheck, Rule};

use super::{is_own_block, statement_removal};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC041",
    name: "interface-moved-before-creation",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "ifconfig IF vnet JAIL in exec.prestart, before the jail exists",
    docs: r#"## What it does
Reports `ifconfig IF vnet JAIL` commands in `exec.prepare` or
`exec.prestart` that move an interface into the jail being started (by
its name or jid). When `vnet.interface` already lists the interface and
the command is a `+=` statement of its own in the jail's block, a safe
fix removes the statement.

## Why
jail(8) runs `exec.prepare` and `exec.prestart` before it creates the
jail, so there is no jail to move the interface into yet: `ifconfig`
fails and the jail does not start. Interfaces are handed to a VNET jail
by `vnet.interface`, which jail(8) applies right after creating the jail
(and undoes when the creation fails), or by a command in `exec.created`.

## Example
```
web {
    vnet;
    vnet.interface = "epair7b";
    exec.prestart = "ifconfig epair7 create up";
    exec.prestart += "ifconfig epair7b vnet web";
    exec.start = "/bin/sh /etc/rc";
}
```

## Fix
Remove the command: `vnet.interface = "epair7b";` moves the interface in
at the right moment. Without `vnet.interface`, add it, or move the
command to `exec.created`."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Jails(check),
};

/// The hooks that run before the jail is created.
const BEFORE_CREATION: [&str; 2] = ["exec.prepare", "exec.prestart"];

/// What one jail has at a place.
struct Found {
    /// The hook.
    hook: &'static str,
    /// The interface moved.
    interface: String,
    /// The command as the jail runs it (after expansion).
    command: String,
    /// Whether `vnet.interface` lists the interface too.
    listed: bool,
    /// Removing the statement, when that is all it takes.
    fix: Option<Fix>,
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // The statements of the hooks concerned, in source order, to find the
    // statement a value is in: gathered at the first finding that may be
    // fixed (most configurations have none).
    let hooks: OnceCell<Vec<&StatementRef<'_>>> = OnceCell::new();
    batch_place_check(
        move |found, jail, batch| {
            let net = batch.net(jail);
            let moves = net.actions.iter().filter(|action| {
                action.side == Side::Host
                    && BEFORE_CREATION.contains(&action.hook)
                    && matches!(action.action, NetAction::MoveToJail { .. })
            });
            for action in moves {
                let NetAction::MoveToJail {
                    interface,
                    jail: target,
                } = &action.action
                else {
                    continue;
                };
                let jid = jail.last_value("jid").map(|v| lossy(&v.text));
                if *target != jail.name() && jid.as_deref() != Some(target.as_ref()) {
                    continue;
                }
                let listed = jail
                    .values("vnet.interface")
                    .iter()
                    .any(|v| v.text.as_slice() == interface.as_bytes());
                // The fix removes the statement: only for a value that is
                // this one command.
                let alone = batch
                    .hook_values(jail)
                    .find(|value| value.value.span.as_ref() == Some(&action.span))
                    .is_some_and(|value| value.commands.len() == 1);
                let fix = (listed && alone)
                    .then(|| {
                        let hooks = hooks.get_or_init(|| hook_statements(context));
                        remove_statement(context, hooks, &action.span, jail)
                    })
                    .flatten();
                found.add(
                    action.span.clone(),
                    "",
                    jail,
                    Found {
                        hook: action.hook,
                        interface: interface.to_string(),
                        command: format!("ifconfig {interface} vnet {target}"),
                        listed,
                        fix,
                    },
                );
            }
        },
        |mut place, report| {
            let jails = place.jails_text();
            let several = place.jail_count() > 1;
            let Some((_, first)) = place.items.first_mut() else {
                return;
            };
            let message = if several {
                format!(
                    "`{}` moves interfaces into {jails} before they exist (`{}` for the first)",
                    first.hook, first.command
                )
            } else {
                format!(
                    "`{}` in `{}` runs before {jails} exists",
                    first.command, first.hook
                )
            };
            let mut finding = report
                .finding(message, place.span.clone())
                .with_label(format!(
                    "fails: jail(8) creates the jail after `{}`",
                    first.hook
                ));
            let help = if first.listed {
                format!(
                    "remove the command: `vnet.interface` already moves `{}` into the jail once it exists",
                    first.interface
                )
            } else {
                format!(
                    "list the interface in `vnet.interface = \"{}\";` instead (jail(8) moves it in right after creating the jail), or run the command in `exec.created`",
                    first.interface
                )
            };
            finding.fix = if several { None } else { first.fix.take() };
            report.push(finding.with_help(help));
        },
    )
}

/// The statements of the hooks that run before the jail is created, in
/// source order.
fn hook_statements<'c, 'a>(context: &'c Context<'a>) -> Vec<&'c StatementRef<'a>> {
    let mut hooks: Vec<&StatementRef<'_>> = (context.statements().iter())
        .filter(|s| {
            !s.is_var
                && BEFORE_CREATION
                    .iter()
                    .any(|hook| s.name.as_ref() == hook.as_bytes())
        })
        .collect();
    hooks.sort_by_key(|s| (s.file, s.range.start));
    hooks
}

/// Removes the statement whose value is at `value`: when it is an `+=`
/// in the jail's own block with that one value (removing a `=` would let
/// an inherited value through).
fn remove_statement(
    context: &Context<'_>,
    hooks: &[&StatementRef<'_>],
    value: &Span,
    jail: &JailRef<'_>,
) -> Option<Fix> {
    let at = hooks.partition_point(|s| (s.file, s.range.start) <= (value.file, value.range.start));
    let statement = hooks[..at].last()?;
    if statement.file != value.file || statement.range.end < value.range.end {
        return None;
    }
    let block = statement.block?;
    if !statement.append || !is_own_block(context, statement, block, jail) {
        return None;
    }
    let tree = context.tree(statement.file);
    let values = tree.child_node(statement.node, NodeKind::ValueList)?;
    if tree.child_nodes(values).count() != 1 {
        return None;
    }
    Some(Fix {
        title: format!("remove this `{}` command", lossy(&statement.name)),
        safe: true,
        edits: vec![TextEdit {
            span: statement_removal(context, &statement.span()),
            new_text: String::new(),
        }],
    })
}
