//! JC042 `duplicate-mac-address`: two jails give their interfaces the same
//! MAC address.

use std::borrow::Cow;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::commands::{MacAddress, NetAction};
use crate::context::Context;
use crate::rule::{batch_check, Category, Check, JailCheck, Report, Rule};
use crate::rules::and_list;
use crate::shared_keys::{later_places, sort_by_second_use, KeyUses};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC042",
    name: "duplicate-mac-address",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "two jails give their interfaces the same MAC address",
    docs: r#"## What it does
Reports a MAC address that the hooks of two jails set with `ifconfig IF
ether ADDR` (or `lladdr`, `link`), on the host side (`exec.prestart`,
`exec.created`) or inside the jail (`exec.start`) — typically a jail copied
from another without changing its `$mac`. `ether random` is not an
address and is left alone.

## Why
VNET jails on one bridge are hosts on one Ethernet segment. With the same
MAC address, the bridge sends each one's traffic to whichever spoke last,
ARP and IPv6 neighbour entries flap, and IPv6 duplicate address
detection disables the link-local addresses: both jails lose their network
intermittently, which is hard to trace back to the configuration.

## Example
```
vnet1 { $mac = "02:00:00:00:00:01"; exec.start += "ifconfig epair1b ether ${mac} up"; }
vnet2 { $mac = "02:00:00:00:00:01"; exec.start += "ifconfig epair2b ether ${mac} up"; }
```

## Fix
Give every jail its own address (a locally administered one: second hex
digit 2, 6, A or E, such as `02:00:00:00:00:02`), or leave the address to
the system."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// One setting of an address: the jail, the statement, the interface.
type Use<'c> = (usize, Span, Cow<'c, str>);

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let uses = KeyUses::<MacAddress, Use<'c>>::with_capacity(context.jails().len());
    batch_check(
        uses,
        move |uses, jail, batch, _| {
            for action in batch.net(jail).actions {
                if let NetAction::LinkAddress { interface, mac } = &action.action {
                    let at = (jail.index, action.span.clone(), interface.clone());
                    uses.push(*mac, at);
                }
            }
        },
        move |uses, report| report_shared(context, uses, report),
    )
}

/// Reports the addresses that several jails set.
fn report_shared(
    context: &Context<'_>,
    uses: KeyUses<MacAddress, Use<'_>>,
    report: &mut Report<'_>,
) {
    // A jail's own settings count once (its first).
    let mut found = uses.shared(|&(jail, _, _)| jail);
    sort_by_second_use(&mut found, |(_, span, _)| span);
    let jails = context.jails();
    let name = |jail: usize| format!("`{}`", jails[jail].name());
    for (mac, uses) in found {
        let (first_jail, first_span, first_interface) = &uses[0];
        for ((_, span, interface), jails_here) in later_places(&uses, |u| u.0, |u| &u.1) {
            let here: Vec<String> = jails_here.iter().map(|&jail| name(jail)).collect();
            let mut all = here.clone();
            if span != first_span {
                all.insert(0, name(*first_jail));
            }
            let mut finding = report
                .finding(
                    format!("MAC address `{mac}` is set by jails {}", and_list(&all)),
                    span.clone(),
                )
                .with_label(format!("set on `{interface}` for {}", and_list(&here)))
                .with_help("give each jail its own MAC address: on one bridge, two interfaces with the same address take each other's traffic");
            if span != first_span {
                finding = finding.with_secondary(
                    first_span.clone(),
                    format!("also set on `{first_interface}` for {}", name(*first_jail)),
                );
            }
            report.push(finding);
        }
    }
}
