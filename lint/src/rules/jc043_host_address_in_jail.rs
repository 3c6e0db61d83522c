//! JC043 `host-address-in-jail`: a jail adds one of the host's own
//! addresses to an interface, and takes it away when it stops.

use jailconf_parser::diag::Severity;

use crate::context::{AddressSource, Context};
use crate::rc_conf::RcAddress;
use crate::rule::{batch_place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC043",
    name: "host-address-in-jail",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "a jail adds the host's own address to an interface and removes it when it stops",
    docs: r#"## What it does
With the host's rc.conf (`--rc-conf`, or `[host] rc_conf` in
`jailconf.toml`), reports an `ip4.addr`/`ip6.addr` element that has an
interface (`IF|ADDR`, or the `interface` parameter) and is an address
rc.conf gives one of the host's interfaces as its own (`ifconfig_IF`,
`ifconfig_IF_ipv6`). Aliases (`ifconfig_IF_aliasN`) are left alone: an
alias is often added for the jail that uses it. Addresses of the live
host are not used: they include the aliases of jails already running.

## Why
For an address with an interface, jail(8) runs `ifconfig IF inet ADDR
alias` when the jail starts and `ifconfig IF inet ADDR -alias` when it
stops. When ADDR is the host's own, stopping (or restarting) the jail
removes it from the host: the host drops off the network, often with the
SSH session used to restart the jail. On another interface, the host has
the address twice while the jail runs.

## Example
```
# rc.conf: ifconfig_em0="inet 192.0.2.10/24"
web { ip4.addr = "em0|192.0.2.10/24"; }
```

## Fix
Give the jail an address of its own (`em0|192.0.2.11/24`), or drop the
interface (`ip4.addr = 192.0.2.10;`) to let the jail share the host's
address without adding or removing it."#,
    needs_host_facts: true,
    fixable: false,
    check: Check::Jails(check),
};

/// What is found for one jail: the interface it adds the address to, and
/// the host's own setting of that address.
struct Found {
    addr: String,
    interface: String,
    host_interface: String,
    variable: String,
    line: usize,
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let host: Vec<RcAddress<'_>> = (context.facts.rc_conf.as_ref())
        .map(|rc| rc.conf.addresses())
        .unwrap_or_default()
        .into_iter()
        .filter(|address| !address.is_alias())
        .collect();
    batch_place_check(
        move |found, jail, batch| {
            if host.is_empty() {
                return;
            }
            for address in batch.net(jail).addresses {
                let (AddressSource::Param, Some(interface)) = (address.source, &address.interface)
                else {
                    continue;
                };
                let Some(own) = host.iter().find(|own| own.addr == address.addr) else {
                    continue;
                };
                let data = Found {
                    addr: address.addr.to_string(),
                    interface: interface.to_string(),
                    host_interface: own.interface.to_string(),
                    variable: own.variable.to_string(),
                    line: own.line,
                };
                found.add(address.span.clone(), data.addr.clone(), jail, data);
            }
        },
        |place, report| {
            let Some((_, first)) = place.items.first() else {
                return;
            };
            let addr = &first.addr;
            let jails = place.jails_text();
            let consequence = if first.interface == first.host_interface {
                format!(
                    "{jails} adds it to `{}` when starting and removes it from the host when stopping",
                    first.interface
                )
            } else {
                format!(
                    "{jails} adds it to `{}` too, so the host has it twice while the jail runs",
                    first.interface
                )
            };
            let finding = report
                .finding(
                    format!(
                        "`{addr}` is the host's own address on `{}` (rc.conf line {}, `{}`): {consequence}",
                        first.host_interface, first.line, first.variable
                    ),
                    place.span.clone(),
                )
                .with_label(format!("added to `{}` as an alias", first.interface))
                .with_help("give the jail an address of its own, or drop the interface (`ip4.addr = ADDR;`) to share the host's address without adding or removing it");
            report.push(finding);
        },
    )
}
