//! JC032 `vnet-without-interface`: a VNET jail that is handed no network
//! interface.

use jailconf_parser::diag::Severity;

use crate::commands::{epair_base, runs_opaque, NetAction, Side};
use crate::context::{Batch, Context, JailRef};
use crate::rule::{batch_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC032",
    name: "vnet-without-interface",
    category: Category::Networking,
    severity: Severity::Warning,
    summary: "a VNET jail that gets no network interface",
    docs: r#"## What it does
Reports VNET jails (`vnet;` or `vnet = new`) that get no interface: no
`vnet.interface`, no `ifconfig IF vnet JAIL` in a host-side hook, and no
`jib addm`/`jng bridge` (an empty `vnet.interface = "";` counts as none).
When a host hook runs a script whose effect cannot be seen (anything but
a few well-known commands), the rule stays silent, since the script may
hand the interface in; so it does on a configuration jail(8) refuses to
read (a syntax error or a missing include may hide the interface).

## Why
A VNET jail starts with its own, empty network stack: without an
interface handed in it has only `lo0` and no network at all. This is
usually a forgotten `vnet.interface` line (or one lost when a jail
manager rewrote the file).

## Example
```
web {
    vnet;
    exec.prestart += "ifconfig epair60 create up";
    exec.start = "/bin/sh /etc/rc";
}
```

## Fix
Hand the jail an interface: `vnet.interface = "epair60b";` (with the
epair created in `exec.prestart`), or `jib addm NAME em0` in
`exec.prestart` with `vnet.interface = "e0b_NAME";`. A VNET jail that is
meant to have no network can keep the finding suppressed with
`# jailconf: ignore[JC032]`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    batch_check(
        (),
        move |_, jail, batch, report| {
            // The interface may be in the part jail(8) could not read.
            if context.config.fatal {
                return;
            }
            if !jail.is_vnet()
                || has_interface(batch, jail)
                || runs_opaque_host_commands(batch, jail)
            {
                return;
            }
            let Some(vnet_span) = jail.param_span("vnet") else {
                return;
            };
            let name = jail.name();
            // jib accepts letters, digits and `_` only.
            let jib_name: String = name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let message = format!("VNET jail `{name}` is given no network interface");
            // An empty `vnet.interface` (a template never filled in) is the place to fix.
            let empty = jail
                .values("vnet.interface")
                .first()
                .and_then(|v| v.span.clone());
            let finding = match empty {
                Some(span) => report
                    .finding(message, span)
                    .with_label("`vnet.interface` is empty")
                    .with_secondary(vnet_span, "its own network stack, with only `lo0`"),
                None => report
                    .finding(message, vnet_span)
                    .with_label("its own network stack, with only `lo0`"),
            };
            // An epair the hooks create but never hand in.
            let created = batch
                .net(jail)
                .actions
                .iter()
                .find_map(|a| match &a.action {
                    NetAction::Create(pair)
                        if a.side == Side::Host && epair_base(pair) == Some(pair) =>
                    {
                        Some(pair.clone())
                    }
                    _ => None,
                });
            let help = match created {
                Some(pair) => format!(
                    "hand it the epair its hooks create: `vnet.interface = \"{pair}b\";`"
                ),
                None => format!(
                    "hand it an interface: `vnet.interface = \"epairNb\";` with `exec.prestart += \"ifconfig epairN create up\";`, or `jib addm {jib_name} em0` and `vnet.interface = \"e0b_{jib_name}\";`; if it needs no network, suppress this with `# jailconf: ignore[JC032]`"
                ),
            };
            report.push(finding.with_help(help));
        },
        |_, _| {},
    )
}

/// Whether something hands the jail an interface.
fn has_interface(batch: &Batch<'_, '_>, jail: &JailRef<'_>) -> bool {
    jail.values("vnet.interface")
        .iter()
        .any(|v| !v.text.is_empty())
        || batch.net(jail).actions.iter().any(|a| {
            matches!(
                (&a.action, a.side),
                (NetAction::MoveToJail { .. }, Side::Host)
                    | (NetAction::Jib { .. } | NetAction::Jng { .. }, _)
            )
        })
}

/// Whether a host-side hook runs a program whose effect on interfaces is
/// unknown (a script or a jail manager's helper).
fn runs_opaque_host_commands<'a>(batch: &Batch<'_, 'a>, jail: &JailRef<'a>) -> bool {
    batch
        .hook_values(jail)
        .any(|hook| hook.side == Side::Host && runs_opaque(hook.commands))
}
