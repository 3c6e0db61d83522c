//! Fleet rules: checks across the configurations of several hosts
//! (`jailconf lint --fleet DIR`, one folder per host). They compare what
//! no single host can see: the same address used by jails on two hosts of
//! one network, and the same static MAC address on two hosts.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::source::Span;
use jailconf_parser::Config;

use crate::commands::{hook_side, net_actions, NetAction};
use crate::context::{lossy, Context};
use crate::facts::HostFacts;
use crate::rc_conf::RcConf;
use crate::rule::{Category, Check, Report, Rule};

/// One host of a fleet: its configuration and what is known about it.
pub struct Host {
    /// The host's name (its folder name).
    pub name: String,
    /// Its jail configuration.
    pub config: Config,
    /// Its rc.conf, when the folder has one.
    pub facts: HostFacts,
}

/// A fleet finding: a diagnostic in the configuration of `hosts[host]`.
#[derive(Clone, Debug)]
pub struct FleetFinding {
    /// Index of the host whose configuration the diagnostic points into.
    pub host: usize,
    /// The finding; its spans belong to that host's configuration.
    pub diagnostic: Diagnostic,
}

/// JC100: the same address on two hosts.
pub static DUPLICATE_ADDRESS: Rule = Rule {
    code: "JC100",
    name: "fleet-duplicate-address",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "jails on two hosts use the same address on a shared network",
    docs: r#"## What it does
Only with `jailconf lint --fleet DIR`, where each folder of DIR is one
host's configuration (its `jail.conf`, `jail.conf.d/` and, optionally, its
`rc.conf`). Collects every address jails use on every host (`ip4.addr`,
`ip6.addr` and addresses VNET jails set in `exec.start`) and reports an
address used on two hosts. When both hosts have an `rc.conf`, the address
must lie in a subnet both hosts are attached to (their `ifconfig_*`
lines); without `rc.conf` the networks are unknown and the finding is a
warning. Loopback and link-local addresses are host-local and ignored.

## Why
Jails of different hosts on one network that answer for the same address
fight over it (ARP/ND flapping): connections break at random, and the
error shows up on neither host alone. Per-host `jailconf lint` cannot see
it.

## Example
```
# alpha/jail.conf
web { ip4.addr = "em0|192.0.2.10/24"; }
# beta/jail.conf
db  { ip4.addr = "em0|192.0.2.10/24"; }
```

## Fix
Give each jail its own address, for example from a per-host range."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(no_single_host_check),
};

/// JC101: the same static MAC address on two hosts.
pub static DUPLICATE_MAC: Rule = Rule {
    code: "JC101",
    name: "fleet-duplicate-mac",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "hooks on two hosts set the same static MAC address",
    docs: r#"## What it does
Only with `jailconf lint --fleet DIR`. Finds the MAC addresses that
hooks set with `ifconfig IF ether|lladdr|link MAC` (on the host or inside
a VNET jail) and reports one that is set on two hosts.

## Why
Static MAC addresses are copied along with a host's configuration. Two
epair ends with one MAC on a shared segment confuse every switch and
bridge on it: traffic reaches one jail or the other at random.

## Example
```
# alpha/jail.conf and beta/jail.conf, copied from one template
exec.prestart += "ifconfig epair0a ether 02:00:00:00:00:0a";
```

## Fix
Derive each MAC from something unique to the host and jail, or leave it
to the kernel (epair(4) picks a random one)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(no_single_host_check),
};

/// The fleet rules, in code order.
pub static RULES: &[&Rule] = &[&DUPLICATE_ADDRESS, &DUPLICATE_MAC];

/// Fleet rules find nothing in one configuration: they run through
/// [`lint_fleet`] only.
fn no_single_host_check(_: &Context<'_>, _: &mut Report<'_>) {}

/// One use of a value by a jail of a host.
struct Use {
    host: usize,
    jail: String,
    span: Span,
}

/// Runs the fleet rules enabled by `enabled` over the hosts.
pub fn lint_fleet(hosts: &[Host], enabled: impl Fn(&Rule) -> bool) -> Vec<FleetFinding> {
    let mut findings = Vec::new();
    if enabled(&DUPLICATE_ADDRESS) {
        duplicate_addresses(hosts, &mut findings);
    }
    if enabled(&DUPLICATE_MAC) {
        duplicate_macs(hosts, &mut findings);
    }
    findings
}

fn duplicate_addresses(hosts: &[Host], findings: &mut Vec<FleetFinding>) {
    let mut by_address: BTreeMap<IpAddr, Vec<Use>> = BTreeMap::new();
    for (index, host) in hosts.iter().enumerate() {
        let context = Context::new(&host.config, &host.facts);
        for batch in context.batches() {
            for jail in batch.jails() {
                for address in batch.net(jail).addresses {
                    let addr = canonical(address.addr);
                    let host_local = addr.is_loopback()
                        || is_link_local(addr)
                        || address
                            .interface
                            .as_deref()
                            .is_some_and(|i| i.starts_with("lo"));
                    if host_local {
                        continue;
                    }
                    let uses = by_address.entry(addr).or_default();
                    // Several jails of one host sharing it are JC034's business.
                    if !uses.iter().any(|u| u.host == index) {
                        uses.push(Use {
                            host: index,
                            jail: jail.name().into_owned(),
                            span: address.span.clone(),
                        });
                    }
                }
            }
        }
    }
    for (addr, uses) in by_address {
        let first = &uses[0];
        for other in &uses[1..] {
            let shared = shared_subnet(&hosts[first.host], &hosts[other.host], addr);
            let (severity, why) = match shared {
                Network::Shared(net) => {
                    (Severity::Error, format!("both hosts are attached to {net}"))
                }
                Network::Separate => continue,
                Network::Unknown => (
                    Severity::Warning,
                    "the hosts' networks are unknown (add each host's rc.conf to its folder)"
                        .to_string(),
                ),
            };
            let finding = cross_host(
                hosts,
                (first, other),
                Diagnostic::new(
                    DUPLICATE_ADDRESS.code,
                    severity,
                    format!("address {addr} is used by"),
                    other.span.clone(),
                )
                .with_label(format!("{addr} in jail `{}`", other.jail)),
                (why.as_str(), "uses it", "give each jail its own address"),
            );
            findings.push(finding);
        }
    }
}

/// Whether two hosts share a network containing an address.
enum Network {
    Shared(IpNet),
    Separate,
    Unknown,
}

fn shared_subnet(a: &Host, b: &Host, addr: IpAddr) -> Network {
    if a.facts.rc_conf.is_none() || b.facts.rc_conf.is_none() {
        return Network::Unknown;
    }
    let containing = |host: &Host| -> Vec<IpNet> {
        host_subnets(&host.facts)
            .into_iter()
            .filter(|net| net.contains(&addr))
            .collect()
    };
    let theirs = containing(b);
    containing(a)
        .into_iter()
        .find(|net| theirs.iter().any(|other| other == net))
        .map_or(Network::Separate, Network::Shared)
}

/// The subnets of the host's rc.conf that reach beyond the host: those
/// on physical interfaces, and on bridges with a physical member. Subnets
/// on loopback, epair/tap/tun interfaces and host-only bridges stay on the
/// host, so another host may reuse their addresses.
fn host_subnets(facts: &HostFacts) -> Vec<IpNet> {
    let Some(rc) = &facts.rc_conf else {
        return Vec::new();
    };
    let mut names: Vec<&str> = rc
        .conf
        .ifconfig()
        .map(|(interface, _)| RcConf::interface_of(interface))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|name| reaches_outside(facts, name))
        .flat_map(|name| facts.subnets(name))
        .collect()
}

/// Whether an interface connects the host to other machines.
fn reaches_outside(facts: &HostFacts, name: &str) -> bool {
    let host_only = ["lo", "epair", "tap", "tun", "pflog", "wg"];
    if name.starts_with("bridge") {
        return facts
            .bridge_members(name)
            .iter()
            .any(|member| reaches_outside(facts, member));
    }
    !host_only.iter().any(|prefix| name.starts_with(prefix))
}

fn duplicate_macs(hosts: &[Host], findings: &mut Vec<FleetFinding>) {
    let mut by_mac: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    for (index, host) in hosts.iter().enumerate() {
        for jail in &host.config.jails {
            for param in &jail.params {
                if hook_side(&lossy(&param.name)).is_none() {
                    continue;
                }
                for value in &param.values {
                    let (Some(span), Some(mac)) =
                        (value.span.clone(), static_mac(&lossy(&value.text)))
                    else {
                        continue;
                    };
                    let uses = by_mac.entry(mac).or_default();
                    if !uses.iter().any(|u| u.host == index) {
                        uses.push(Use {
                            host: index,
                            jail: lossy(&jail.name).into_owned(),
                            span,
                        });
                    }
                }
            }
        }
    }
    for (mac, uses) in by_mac {
        let first = &uses[0];
        for other in &uses[1..] {
            let finding = cross_host(
                hosts,
                (first, other),
                Diagnostic::new(
                    DUPLICATE_MAC.code,
                    DUPLICATE_MAC.severity,
                    format!("MAC address {mac} is set by"),
                    other.span.clone(),
                )
                .with_label(format!("{mac} in jail `{}`", other.jail)),
                ("", "sets it", "give every interface its own MAC address"),
            );
            findings.push(finding);
        }
    }
}

/// Completes a finding about a value that jail `other` uses after jail
/// `first` on another host: the message (which starts with what is
/// shared, e.g. "address X is used by") names both jails and hosts, and
/// the help says why it matters, where the first use is and what to do.
fn cross_host(
    hosts: &[Host],
    (first, other): (&Use, &Use),
    mut diagnostic: Diagnostic,
    (why, verb, fix): (&str, &str, &str),
) -> FleetFinding {
    let (first_host, other_host) = (&hosts[first.host].name, &hosts[other.host].name);
    diagnostic.message = format!(
        "{} jail `{}` on host `{other_host}` and jail `{}` on host `{first_host}`",
        diagnostic.message, other.jail, first.jail
    );
    let why = if why.is_empty() {
        String::new()
    } else {
        format!("{why}; ")
    };
    diagnostic.help = Some(format!(
        "{why}jail `{}` on host `{first_host}` {verb} at {}; {fix}",
        first.jail,
        place(&hosts[first.host], &first.span)
    ));
    FleetFinding {
        host: other.host,
        diagnostic,
    }
}

/// The MAC address an `ifconfig IF ether|lladdr|link MAC` in a hook sets,
/// as `02:00:00:00:00:0a`.
fn static_mac(command: &str) -> Option<String> {
    net_actions(command)
        .into_iter()
        .find_map(|action| match action {
            NetAction::LinkAddress { mac, .. } => Some(mac.to_string()),
            _ => None,
        })
}

/// `file:line:column` of a span in a host's configuration.
fn place(host: &Host, span: &Span) -> String {
    let at = host.config.sources.line_col(span);
    format!(
        "{}:{}:{}",
        host.config.sources.get(span.file).name,
        at.line,
        at.column
    )
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

fn is_link_local(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_found_in_ifconfig_commands_only() {
        assert_eq!(
            static_mac("ifconfig epair0a ether 02:00:00:00:00:0A up").as_deref(),
            Some("02:00:00:00:00:0a")
        );
        assert_eq!(
            static_mac("/sbin/ifconfig e0b lladdr 2-0-0-0-0-b").as_deref(),
            Some("02:00:00:00:00:0b")
        );
        assert_eq!(static_mac("echo ether 02:00:00:00:00:0a"), None);
        assert_eq!(static_mac("ifconfig epair0a ether random"), None);
    }
}
