//! JC054 `raw-sockets`: raw sockets on the host's network stack.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC054",
    name: "raw-sockets",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "allow.raw_sockets on a jail that shares the host's network stack",
    docs: r#"## What it does
Reports `allow.raw_sockets` on jails without their own network stack
(no `vnet`). VNET jails are not reported here: their raw sockets only
reach their own stack.

## Why
A raw socket lets the jail's root build whole IP packets of any protocol
and send them through the host's network stack. The kernel still forces
the source to one of the jail's addresses, but the jail can craft
malformed or unusual packets (TCP resets, fragments, any IP protocol),
scan and probe every network the host is attached to, and reach parts of
the host's network code an ordinary jail cannot — jail(8) warns that raw
sockets "can be used to configure and interact with various network
subsystems". With `ip4 = inherit` the jail's addresses are the host's
own. It is mostly enabled so that `ping` and `traceroute` work in the
jail.

## Example
```
web {
    ip4.addr = "em0|192.0.2.10/24";
    allow.raw_sockets;
}
```

## Fix
Remove `allow.raw_sockets` and run `ping` from the host, or give the jail
its own network stack (`vnet`) if it really needs raw sockets."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    place_check(
        move |found, jail| {
            if jail.is_vnet() || jail.flag("allow.raw_sockets") != Some(true) {
                return;
            }
            if let Some(span) = jail
                .param_any("allow.raw_sockets")
                .and_then(|p| p.span.clone())
            {
                found.add(span, "", jail, ());
            }
        },
        move |place, report| {
            let finding = report
                .finding(
                    format!(
                        "`allow.raw_sockets` gives {} raw sockets on the host's network stack",
                        place.jails_text()
                    ),
                    place.span.clone(),
                )
                .with_label("the jail can craft any IP packet")
                .with_help("remove it unless the jail needs ping or traceroute; a VNET jail (`vnet`) keeps raw sockets on its own stack");
            report.push(finding);
        },
    )
}
