//! JC030 `missing-vnet-bridge`: hooks add interfaces to a bridge that
//! nothing creates.

use std::borrow::Cow;
use std::collections::BTreeMap;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::commands::{NetAction, Side};
use crate::context::Context;
use crate::rule::{batch_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC030",
    name: "missing-vnet-bridge",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "a hook adds an interface to a bridge that does not exist",
    docs: r#"## What it does
Finds bridges that jail hooks add interfaces to (`ifconfig bridge0 addm
epair60a`) and checks that something creates them: a hook of the
configuration itself (`ifconfig bridge0 create`), `cloned_interfaces` in
the host's rc.conf (`--rc-conf`), or the live host (`--host`). Without
host facts the rule stays silent.

## Why
`ifconfig bridge0 addm …` fails when the bridge does not exist, so the
VNET jail fails to start (typically at boot, after a reinstall or when
the host's rc.conf was changed), and jail(8) leaves the epair behind.

## Example
```
vnet {
    vnet;
    exec.prestart += "ifconfig epair60 create up";
    exec.prestart += "ifconfig bridge0 addm epair60a up";
}
```
with an rc.conf that has no `cloned_interfaces="bridge0"`.

## Fix
Create the bridge at boot in rc.conf:
```
cloned_interfaces="bridge0"
ifconfig_bridge0="addm em0 up"
```"#,
    needs_host_facts: true,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Bridges the configuration creates itself.
    let created: Vec<Cow<'a, str>> = Vec::new();
    // Each bridge with the jails (by position) that add to it, and where.
    let used: BTreeMap<Cow<'a, str>, Vec<(usize, Span)>> = BTreeMap::new();
    batch_check(
        (created, used),
        move |(created, used), jail, batch, _| {
            for action in batch.net(jail).actions {
                match (&action.action, action.side) {
                    (NetAction::Create(name), Side::Host) => created.push(name.clone()),
                    (NetAction::AddMember { bridge, .. }, Side::Host) => used
                        .entry(bridge.clone())
                        .or_default()
                        .push((jail.index, action.span.clone())),
                    _ => {}
                }
            }
        },
        move |(created, used), report| {
            for (bridge, uses) in used {
                if created.contains(&bridge) || context.facts.interface_known(&bridge) {
                    continue;
                }
                let (jail, span) = &uses[0];
                let jail = context.jails()[*jail].name();
                let mut finding = report
                    .finding(
                        format!("bridge `{bridge}` does not exist: nothing creates it before jail `{jail}` adds to it"),
                        span.clone(),
                    )
                    .with_label(format!("`{bridge}` is used here"));
                for (_, other) in uses.iter().skip(1) {
                    finding = finding.with_secondary(other.clone(), "also used here");
                }
                let help = match &context.facts.rc_conf {
                    Some(rc) => {
                        let mut list = rc.conf.cloned_interfaces();
                        list.push(bridge.to_string());
                        format!(
                            "create it at boot: add `cloned_interfaces=\"{}\"` to {} (and `ifconfig_{bridge}=\"addm <uplink> up\"`)",
                            list.join(" "),
                            rc.path.display()
                        )
                    }
                    None => format!(
                        "create it at boot with `cloned_interfaces=\"{bridge}\"` in rc.conf"
                    ),
                };
                finding = finding.with_help(help);
                report.push(finding);
            }
        },
    )
}
