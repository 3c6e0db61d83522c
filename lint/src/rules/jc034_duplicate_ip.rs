//! JC034 `duplicate-ip`: two jails use the same address.

use std::net::IpAddr;

use jailconf_parser::diag::Severity;

use crate::commands::NetAction;
use crate::context::{AddressSource, Context, JailAddress, JailRef};
use crate::hash::FastMap;
use crate::rule::{Category, Report, Rule};

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
    check,
};

/// The bridge a VNET jail's interfaces are attached to, if any.
fn bridge_of(context: &Context<'_>, jail: &JailRef<'_>) -> Option<String> {
    context
        .net(jail)
        .actions
        .iter()
        .find_map(|a| match &a.action {
            NetAction::AddMember { bridge, .. } => Some(bridge.clone()),
            _ => None,
        })
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    // About one address a jail: reserved so that the table is not
    // rebuilt as it grows.
    let mut by_address: FastMap<IpAddr, Vec<(usize, &JailAddress)>> =
        FastMap::with_capacity_and_hasher(context.jails().len(), Default::default());
    for jail in context.jails() {
        for address in &context.net(jail).addresses {
            let uses = by_address.entry(canonical(address.addr)).or_default();
            // One jail listing its own address twice is not a conflict.
            if !uses.iter().any(|(j, _)| *j == jail.index) {
                uses.push((jail.index, address));
            }
        }
    }
    let mut groups: Vec<(IpAddr, Vec<(usize, &JailAddress)>)> = by_address
        .into_iter()
        .filter(|(_, uses)| uses.len() > 1)
        .collect();
    groups.sort_by_key(|(_, uses)| (uses[1].1.span.file, uses[1].1.span.range.start));
    for (addr, uses) in groups {
        let jails = context.jails();
        let names: Vec<String> = uses
            .iter()
            .map(|(j, _)| format!("`{}`", jails[*j].name()))
            .collect();
        let shared_on_purpose = uses
            .iter()
            .all(|(_, a)| a.source == AddressSource::Param && a.interface.is_none());
        let bridges: Vec<Option<String>> = uses
            .iter()
            .filter(|(_, a)| a.source == AddressSource::Command)
            .map(|(j, _)| bridge_of(context, &jails[*j]))
            .collect();
        let separate_networks = bridges.len() == uses.len()
            && bridges.iter().all(Option::is_some)
            && bridges.windows(2).any(|w| w[0] != w[1]);
        let (first_jail, first) = uses[0];
        for &(jail, address) in &uses[1..] {
            let mut finding = report
                .finding(
                    format!("address {addr} is used by jails {}", and_list(&names)),
                    address.span.clone(),
                )
                .with_label(format!("{addr} in jail `{}`", jails[jail].name()))
                .with_secondary(
                    first.span.clone(),
                    format!("{addr} in jail `{}`", jails[first_jail].name()),
                );
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
}

/// `a and b`, `a, b and c`.
fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// IPv4-mapped IPv6 addresses compare equal to their IPv4 form.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}
