//! JC037 `address-outside-subnet`: a jail address outside the subnets of
//! the host network it is on, or a VNET default gateway outside the
//! jail's own subnet.

use std::net::IpAddr;

use ipnet::IpNet;
use jailconf_parser::diag::Severity;

use crate::commands::{epair_base, NetAction, Side};
use crate::context::{AddressSource, Context, JailAddress, JailNet};
use crate::facts::HostFacts;
use crate::rule::{batch_check, Category, Check, JailCheck, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC037",
    name: "address-outside-subnet",
    category: Category::Networking,
    severity: Severity::Warning,
    summary: "a jail address outside the subnet of its host network",
    docs: r#"## What it does
Compares jail addresses with the subnets the host has on the network they
are on (from rc.conf with `--rc-conf`, or the live host with `--host`):

* a classic jail's address (`ip4.addr = "em0|192.0.2.10"`, or with
  `interface = em0`) against the subnets of that interface;
* a VNET jail's address set in `exec.start` (`ifconfig epair60b
  20.0.0.60/24`) against the bridge its epair is added to (and the
  bridge's members), the uplink of `jib addm`/`jng bridge`, or the
  address a hook gives the host end of the epair;
* a VNET jail's default route (`route add default GW`) against the
  jail's own subnet (not for a /32 or /128 address, which needs an
  explicit host route to the gateway anyway).

Without host facts it stays silent, and so does it for an interface
whose subnets are unknown (DHCP, no address on the host).

## Why
An address outside the network's subnet gets no answer from anything on
that network (the host does not route to it, ARP from other hosts is
ignored), and a gateway outside the jail's own subnet cannot be
reached: `route add default` fails with `Network is unreachable`. Both
are typically a typo or a jail copied from another network. (Addresses a
provider routes to the host, such as an additional or failover subnet
bound as aliases on the uplink, are outside its subnet on purpose:
suppress the finding for them.)

## Example
```
vnet {
    vnet;
    vnet.interface = "epair60b";
    exec.prestart += "ifconfig epair60 create up";
    exec.prestart += "ifconfig bridge0 addm epair60a up";
    exec.start += "ifconfig epair60b 20.0.1.60/24 up";
    exec.start += "route add default 20.0.0.1";
}
```
with `ifconfig_bridge0="inet 20.0.0.20/24 addm em0 up"` in rc.conf.

## Fix
Use an address inside the network's subnet (and the matching prefix
length), a gateway inside the jail's subnet, or attach the jail to the
network its address belongs to."#,
    needs_host_facts: true,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let facts = context.facts;
    batch_check(
        (),
        move |_, jail, batch, report| {
            let net = batch.net(jail);
            let name = jail.name();
            for address in net.addresses {
                if is_link_local(address.addr) {
                    continue;
                }
                let Some((network, nets)) = host_network(facts, net, address) else {
                    continue;
                };
                let nets: Vec<IpNet> = nets
                    .into_iter()
                    .filter(|n| n.addr().is_ipv4() == address.addr.is_ipv4())
                    .collect();
                if nets.is_empty() || nets.iter().any(|n| n.contains(&address.addr)) {
                    continue;
                }
                let shown = show(&nets);
                let interface = address.interface.as_deref().unwrap_or("");
                let label = match address.source {
                    AddressSource::Param => format!("on `{interface}`"),
                    AddressSource::Command => format!("on `{interface}`, which is on {network}"),
                };
                let finding = report
                    .finding(
                        format!(
                            "address {} of jail `{name}` is outside {network}'s subnet{} {shown} on this host",
                            address.addr,
                            if nets.len() == 1 { "" } else { "s" }
                        ),
                        address.span.clone(),
                    )
                    .with_label(label)
                    .with_help(format!(
                        "use an address in {}, or attach the jail to the network this address belongs to",
                        show(&nets).replace(", ", " or ")
                    ));
                report.push(finding);
            }
            check_gateway(report, net, &name);
        },
        |_, _| {},
    )
}

/// The host network an address is on, described, and its subnets.
fn host_network(
    facts: &HostFacts,
    net: JailNet<'_, '_>,
    address: &JailAddress,
) -> Option<(String, Vec<IpNet>)> {
    let interface = address.interface.as_deref()?;
    match address.source {
        AddressSource::Param => {
            // Loopback aliases are not on a network.
            let loopback = interface
                .strip_prefix("lo")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
            (!loopback).then(|| (format!("`{interface}`"), facts.subnets(interface)))
        }
        AddressSource::Command => vnet_link(facts, net, interface),
    }
}

/// For a VNET jail's interface, the host network at its other end: the
/// bridge the epair's host end is added to (with the bridge's members),
/// the uplink of jib or jng, or the address a hook sets on the host end.
fn vnet_link(
    facts: &HostFacts,
    net: JailNet<'_, '_>,
    interface: &str,
) -> Option<(String, Vec<IpNet>)> {
    let base = epair_base(interface);
    for action in net.actions {
        match (&action.action, action.side) {
            (NetAction::AddMember { bridge, member }, Side::Host)
                if base.is_some() && epair_base(member) == base =>
            {
                let mut nets = facts.subnets(bridge);
                for member in facts.bridge_members(bridge) {
                    nets.extend(facts.subnets(&member));
                }
                return Some((format!("`{bridge}`"), nets));
            }
            (NetAction::Jib { uplinks, .. } | NetAction::Jng { uplinks, .. }, _) => {
                let created = action.action.created_interfaces();
                let Some(index) = created.iter().position(|c| {
                    c == interface || (c.len() > 15 && c.get(..15) == Some(interface))
                }) else {
                    continue;
                };
                // jib makes two names per uplink, jng one.
                let per_uplink = created.len() / uplinks.len().max(1);
                let Some(uplink) = uplinks.get(index / per_uplink.max(1)) else {
                    continue;
                };
                let mut nets = facts.subnets(uplink);
                nets.extend(facts.subnets(&format!("{uplink}bridge")));
                return Some((format!("`{uplink}`"), nets));
            }
            _ => {}
        }
    }
    // A routed epair: the host end gets an address in a hook.
    let nets: Vec<IpNet> = net
        .actions
        .iter()
        .filter_map(|a| match (&a.action, a.side) {
            (
                NetAction::Address {
                    interface: host_end,
                    addr,
                    prefix: Some(prefix),
                },
                Side::Host,
            ) if base.is_some() && epair_base(host_end) == base && host_end != interface => {
                IpNet::new(*addr, *prefix).ok().map(|n| n.trunc())
            }
            _ => None,
        })
        .collect();
    (!nets.is_empty()).then(|| ("the host end of the epair".to_string(), nets))
}

/// A VNET default route must point into the jail's own subnet.
fn check_gateway(report: &mut Report<'_>, net: JailNet<'_, '_>, jail: &str) {
    for action in net.actions {
        let (NetAction::DefaultRoute(gateway), Side::Jail) = (&action.action, action.side) else {
            continue;
        };
        if is_link_local(*gateway) {
            continue;
        }
        let own: Vec<(IpNet, &JailAddress)> = net
            .addresses
            .iter()
            .filter(|a| a.source == AddressSource::Command && a.addr.is_ipv4() == gateway.is_ipv4())
            .filter_map(|a| Some((IpNet::new(a.addr, a.prefix?).ok()?.trunc(), a)))
            // A host address (/32, /128) means deliberate routing through
            // an explicit host route to the gateway.
            .filter(|(n, _)| n.prefix_len() < n.max_prefix_len())
            .collect();
        let Some((first_net, first)) = own.first() else {
            continue;
        };
        if own.iter().any(|(n, _)| n.contains(gateway)) {
            continue;
        }
        let nets: Vec<IpNet> = own.iter().map(|(n, _)| *n).collect();
        let finding = report
            .finding(
                format!(
                    "default gateway {gateway} of jail `{jail}` is outside its own subnet {}",
                    show(&nets)
                ),
                action.span.clone(),
            )
            .with_label("`route add default` fails: Network is unreachable")
            .with_secondary(
                first.span.clone(),
                format!("the jail's address {}/{}", first.addr, first_net.prefix_len()),
            )
            .with_help(format!(
                "use a gateway inside {} (usually the host's address on that network), or correct the prefix length of the jail's address",
                show(&nets)
            ));
        report.push(finding);
    }
}

fn is_link_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

/// `a, b` (deduplicated, in order).
fn show(nets: &[IpNet]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for net in nets {
        let text = net.to_string();
        if !seen.contains(&text) {
            seen.push(text);
        }
    }
    seen.join(", ")
}
