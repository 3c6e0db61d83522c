//! JC031 `vnet-with-ip-addr`: a VNET jail with `ip4.addr`/`ip6.addr` (or
//! `ip4`/`ip6`), which the kernel refuses.

use std::collections::BTreeMap;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::context::{Context, JailRef};
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};

use super::list;

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC031",
    name: "vnet-with-ip-addr",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "a VNET jail with ip4.addr/ip6.addr, which the kernel refuses",
    docs: r#"## What it does
Reports jails that set `vnet` together with `ip4.addr` or `ip6.addr`, or
with `ip4`/`ip6` (`ip6 = disable` is a common leftover of a classic
jail).

## Why
`ip4.addr`, `ip6.addr`, `ip4` and `ip6` restrict which addresses of a
*shared* network stack a jail may use. A VNET jail has its own stack,
and the kernel refuses the combination: `jail -c` fails with
`vnet jails cannot have IP address restrictions` (after jail(8) has
already added the `IF|addr` aliases to the host). The kernel checks
whether `vnet` is given at all, so even `vnet = inherit` counts.

## Example
```
web {
    vnet;
    vnet.interface = "epair60b";
    ip4.addr = "192.0.2.60/24";
}
```

## Fix
A VNET jail configures its addresses itself: remove `ip4.addr` and set
the address on its interface in `exec.start`
(`exec.start += "ifconfig epair60b 192.0.2.60/24 up";`) or in the jail's
own rc.conf (`ifconfig_epair60b="inet 192.0.2.60/24"`). Remove `ip4`/`ip6`
settings."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// The parameters that restrict addresses.
const RESTRICTIONS: [&str; 4] = ["ip4.addr", "ip6.addr", "ip4", "ip6"];

/// One offending statement and the jails it applies to.
struct Found {
    /// The statement as shown: `ip4.addr`, or `ip6 = disable`.
    shown: String,
    span: Span,
    vnet_span: Option<Span>,
    inherit: bool,
    help: String,
    jails: Vec<String>,
}

/// File, start, parameter and `inherit` of a finding.
type Key = (u32, u32, &'static str, bool);

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Keyed by place, so a global `ip6 = disable` is reported once.
    let found: BTreeMap<Key, Found> = BTreeMap::new();
    // The jails already listed under each key.
    let listed: crate::hash::FastSet<(Key, std::borrow::Cow<'_, str>)> =
        crate::hash::FastSet::default();
    jail_check(
        (found, listed),
        move |(found, listed), jail, _| {
            let Some(vnet) = jail.param("vnet") else {
                return;
            };
            let vnet_value = vnet
                .values
                .last()
                .map(|v| crate::context::lossy(&v.text).to_ascii_lowercase())
                .unwrap_or_default();
            let inherit = matches!(vnet_value.as_str(), "inherit" | "2");
            for param in RESTRICTIONS {
                let Some(restriction) = jail.param(param) else {
                    continue;
                };
                let Some(span) = restriction
                    .values
                    .first()
                    .and_then(|v| v.span.clone())
                    .or_else(|| restriction.span.clone())
                else {
                    continue;
                };
                let shown = match (param, restriction.values.last()) {
                    ("ip4" | "ip6", Some(v)) => {
                        format!("{param} = {}", crate::context::lossy(&v.text))
                    }
                    _ => param.to_string(),
                };
                let entry = found
                    .entry((span.file.0, span.range.start, param, inherit))
                    .or_insert_with(|| Found {
                        help: help(jail, param, &shown),
                        shown,
                        span: span.clone(),
                        vnet_span: vnet.span.clone(),
                        inherit,
                        jails: Vec::new(),
                    });
                let name = jail.name();
                if listed.insert((
                    (span.file.0, span.range.start, param, inherit),
                    name.clone(),
                )) {
                    entry.jails.push(name.into_owned());
                }
            }
        },
        move |(found, _), report| {
            let mut found: Vec<Found> = found.into_values().collect();
            found.sort_by_key(|f| (f.span.file, f.span.range.start));
            for f in found {
                let names: Vec<String> = f.jails.iter().map(|j| format!("`{j}`")).collect();
                let which = if names.len() == 1 { "jail" } else { "jails" };
                let inherit = f.inherit;
                let message = if inherit {
                    format!(
                        "`{}` cannot be combined with `vnet` ({which} {}), not even `vnet = inherit`",
                        f.shown,
                        list(&names)
                    )
                } else {
                    format!(
                        "VNET {which} {} cannot have `{}`: the kernel refuses IP restrictions on VNET jails",
                        list(&names),
                        f.shown
                    )
                };
                let mut finding = report
                    .finding(message, f.span)
                    .with_label("an IP restriction")
                    .with_jail_message(format!(
                        "{}: vnet jails cannot have IP address restrictions",
                        f.jails[0]
                    ));
                if let Some(vnet_span) = f.vnet_span {
                    finding = finding.with_secondary(vnet_span, "`vnet` is set here");
                }
                let help = if inherit {
                    "`vnet = inherit` is the default: remove it (the kernel rejects any `vnet` setting together with IP restrictions)".to_string()
                } else {
                    f.help
                };
                report.push(finding.with_help(help));
            }
        },
    )
}

/// What to do instead, with the jail's own interface and address when
/// known.
fn help(jail: &JailRef<'_>, param: &str, shown: &str) -> String {
    if matches!(param, "ip4" | "ip6") {
        return format!(
            "remove `{shown}`: a VNET jail has its own network stack and configures its addresses inside"
        );
    }
    let interface = jail
        .values("vnet.interface")
        .first()
        .map(|v| crate::context::lossy(&v.text).into_owned())
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| "epairNb".to_string());
    let address = jail
        .values(param)
        .first()
        .map(|v| crate::context::lossy(&v.text).into_owned())
        .and_then(|text| {
            let first = text.split(',').next().unwrap_or("").trim();
            let address = first.rsplit('|').next().unwrap_or(first);
            let address = address.split_whitespace().next().unwrap_or("");
            (!address.is_empty()).then(|| address.to_string())
        })
        .unwrap_or_else(|| "ADDR".to_string());
    let family = if param == "ip6.addr" { "inet6 " } else { "" };
    format!(
        "remove `{param}` and set the address inside the jail, e.g. `exec.start += \"ifconfig {interface} {family}{address} up\";` (or in the jail's rc.conf)"
    )
}
