//! JC034 `duplicate-ip`: two jails use the same address.

use std::borrow::Cow;
use std::net::IpAddr;

use jailconf_parser::diag::Severity;

use crate::commands::NetAction;
use jailconf_parser::source::Span;

use crate::context::{AddressSource, Context, JailNet};
use crate::hash::FastSet;
use crate::rule::{batch_check, Category, Check, JailCheck, Rule};
use crate::rules::and_list;
use crate::shared_keys::{sort_by_second_use, KeyUses};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC034",
    name: "duplicate-ip",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "two jails use the same IP address",
    docs: r#"## What it does
Compares every address jails use — `ip4.addr`/`ip6.addr` values (with or
without `IF|` and `/mask`) and the addresses VNET jails set on their own
interfaces in `exec.start` — across all jails. IPv6 addresses are compared
in canonical form; the prefix length does not matter.

## Why
Two jails answering for one address on the same network break each
other's connections (ARP/ND flapping), and an alias added by one jail is
removed when the other stops. One case is deliberate and allowed: classic
jails sharing an address without an interface (nothing is added to the
host); it is reported as information only.

## Example
```
web { ip4.addr = "em0|192.0.2.10/24"; }
db  { ip4.addr = "em0|192.0.2.10/24"; }
```

## Fix
Give each jail its own address."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// What the check keeps of an address a jail uses (the jail's network
/// picture lasts only as long as its batch).
struct AddressUse {
    span: Span,
    /// Set in `ip4.addr`/`ip6.addr` without an interface: nothing is
    /// added to the host.
    unbound: bool,
    /// For an address a command sets: the bridge the jail's interfaces
    /// are attached to (by its position in the bridge names), if any.
    bridge: Option<Option<usize>>,
}

/// The bridge a VNET jail's interfaces are attached to, if any, by its
/// position in `bridges` (where it is added when new).
fn bridge_of<'a>(net: JailNet<'_, 'a>, bridges: &mut Vec<Cow<'a, str>>) -> Option<usize> {
    let bridge = net.actions.iter().find_map(|a| match &a.action {
        NetAction::AddMember { bridge, .. } => Some(bridge),
        _ => None,
    })?;
    Some(match bridges.iter().position(|known| known == bridge) {
        Some(known) => known,
        None => {
            bridges.push(bridge.clone());
            bridges.len() - 1
        }
    })
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let by_address: KeyUses<IpAddr, (usize, AddressUse)> =
        KeyUses::with_capacity(context.jails().len());
    batch_check(
        (by_address, Vec::new()),
        move |(by_address, bridges), jail, batch, _| {
            let net = batch.net(jail);
            for address in net.addresses {
                let command = address.source == AddressSource::Command;
                let kept = AddressUse {
                    span: address.span.clone(),
                    unbound: !command && address.interface.is_none(),
                    bridge: command.then(|| bridge_of(net, bridges)),
                };
                by_address.push(canonical(address.addr), (jail.index, kept));
            }
        },
        move |(by_address, _), report| {
            // One jail listing its own address twice is not a conflict.
            let mut groups = by_address.shared(|&(jail, _)| jail);
            sort_by_second_use(&mut groups, |(_, address)| &address.span);
            for (addr, uses) in groups {
                let jails = context.jails();
                let names: Vec<String> = uses
                    .iter()
                    .map(|(j, _)| format!("`{}`", jails[*j].name()))
                    .collect();
                let shared_on_purpose = uses.iter().all(|(_, a)| a.unbound);
                let bridges: Vec<Option<usize>> =
                    uses.iter().filter_map(|(_, a)| a.bridge).collect();
                let separate_networks = bridges.len() == uses.len()
                    && bridges.iter().all(Option::is_some)
                    && bridges.windows(2).any(|w| w[0] != w[1]);
                let (first_jail, first) = &uses[0];
                // A statement every jail inherits is reported once.
                let mut reported = FastSet::default();
                for (jail, address) in &uses[1..] {
                    if !reported.insert(&address.span) {
                        continue;
                    }
                    let mut finding = report.finding(
                        format!("address {addr} is used by jails {}", and_list(&names)),
                        address.span.clone(),
                    );
                    finding = if address.span == first.span {
                        finding.with_label(format!("{addr} in every one of these jails"))
                    } else {
                        finding
                            .with_label(format!("{addr} in jail `{}`", jails[*jail].name()))
                            .with_secondary(
                                first.span.clone(),
                                format!("{addr} in jail `{}`", jails[*first_jail].name()),
                            )
                    };
                    if shared_on_purpose {
                        finding.severity = Severity::Info;
                        finding = finding.with_help(
                            "jails may share an address that is not bound to an interface; make sure this is intended",
                        );
                    } else if separate_networks {
                        finding.severity = Severity::Warning;
                        finding = finding.with_help("the jails are on different bridges; this only works if those networks never meet");
                    } else {
                        finding = finding.with_help("give each jail its own address");
                    }
                    report.push(finding);
                }
            }
        },
    )
}

/// IPv4-mapped IPv6 addresses compare equal to their IPv4 form.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}
