//! JC039 `ip4-inherit`: `ip4 = inherit` / `ip6 = inherit`, which gives the
//! jail every address of the host.

use std::collections::BTreeMap;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::context::Context;
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC039",
    name: "ip4-inherit",
    category: Category::Networking,
    severity: Severity::Warning,
    summary: "ip4 = inherit / ip6 = inherit: the jail shares every host address",
    docs: r#"## What it does
Reports `ip4 = inherit` and `ip6 = inherit` (also written as `2`). Jails
that set `vnet` are left to `vnet-with-ip-addr` (JC031): the kernel
refuses any `ip4`/`ip6` setting together with `vnet`.

## Why
With `inherit` there is no address isolation: the jail can bind every
address of the host, including the host's own services' addresses and
`127.0.0.1`, and sees all of them. Services in the jail can take over
ports on the host's addresses, and anything listening on the host's
loopback is reachable from the jail. That is sometimes intended (a
build jail that only needs outbound access) but should be a conscious
choice.

## Example
```
build {
    path = "/jails/build";
    ip4 = inherit;
}
```

## Fix
Give the jail its own address with `ip4.addr` (which implies `ip4 =
new`), use `ip4 = disable` if it needs no IPv4, or keep `inherit`
deliberately and suppress the finding with `# jailconf: ignore[JC039]`."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Keyed by place: a global `ip4 = inherit;` is reported once.
    let found: BTreeMap<(u32, u32), (Span, &'static str, Vec<String>)> = BTreeMap::new();
    // The jails already listed at each place.
    let listed: crate::hash::FastSet<((u32, u32), std::borrow::Cow<'_, str>)> =
        crate::hash::FastSet::default();
    jail_check(
        (found, listed),
        move |(found, listed), jail, _| {
            // With `vnet` (any value) the kernel refuses `ip4`/`ip6`: JC031.
            if jail.param("vnet").is_some() {
                return;
            }
            for param in ["ip4", "ip6"] {
                let Some(value) = jail.last_value(param) else {
                    continue;
                };
                if !matches!(
                    value.text.to_ascii_lowercase().as_slice(),
                    b"inherit" | b"2"
                ) {
                    continue;
                }
                let Some(span) = value.span.clone().or_else(|| jail.param_span(param)) else {
                    continue;
                };
                let (span_file, span_start) = (span.file.0, span.range.start);
                let jails = &mut found
                    .entry((span_file, span_start))
                    .or_insert_with(|| (span, param, Vec::new()))
                    .2;
                let name = jail.name();
                if listed.insert(((span_file, span_start), name.clone())) {
                    jails.push(name.into_owned());
                }
            }
        },
        move |(found, _), report| {
            for (span, param, jails) in found.into_values() {
                let names: Vec<String> = jails.iter().map(|j| format!("`{j}`")).collect();
                let which = if names.len() == 1 { "jail" } else { "jails" };
                let (family, example) = if param == "ip4" {
                    ("IPv4", "ip4.addr = \"em0|192.0.2.10\"")
                } else {
                    ("IPv6", "ip6.addr = \"em0|2001:db8::10\"")
                };
                let finding = report
                    .finding(
                        format!(
                            "{which} {} can use every {family} address of the host (`{param} = inherit`)",
                            super::list(&names)
                        ),
                        span,
                    )
                    .with_label("no address isolation")
                    .with_help(format!(
                        "give the jail its own address (`{example};`), or `{param} = disable` if it needs no {family}; keep `inherit` only on purpose"
                    ));
                report.push(finding);
            }
        },
    )
}
