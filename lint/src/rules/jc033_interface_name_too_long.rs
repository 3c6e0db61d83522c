//! JC033 `interface-name-too-long`: interface names over 15 characters
//! (IFNAMSIZ), and long names that are equal once cut to 15.

use std::collections::BTreeMap;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::commands::{program_name, NetAction};
use crate::context::{Batch, Context, HookValue, JailRef};
use crate::rule::{batch_check, Category, Check, JailCheck, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC033",
    name: "interface-name-too-long",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "an interface name longer than 15 characters",
    docs: r#"## What it does
Checks every interface name a jail uses against FreeBSD's limit of 15
characters (`IFNAMSIZ` is 16 with the terminating NUL): `vnet.interface`,
`interface`, the `IF|` prefixes of `ip4.addr`/`ip6.addr`, names used in
hooks (`ifconfig NAME …`, `ifconfig X name NAME`, `addm NAME`), and the
names the helper scripts derive from the jail name: `jib addm NAME`
creates `e0a_NAME` and `e0b_NAME`, `jng bridge NAME` creates `ng0_NAME`.
It also reports two long names that become equal when cut to 15
characters.

## Why
ifconfig(8) refuses longer names (`interface name '…' too long`) and the
kernel refuses to rename an interface to one, so the hook or the
`vnet.interface` step fails and the jail does not start; jib then leaves
an unnamed epair behind. jng does not fail: it silently cuts the name to
15 characters, so `vnet.interface` must use the cut name, `jng shutdown
NAME` no longer finds the interface, and two jails whose names start
alike share one interface (reported as a warning).

## Example
```
webserver-production {
    vnet;
    vnet.interface = "e0b_${name}";
    exec.prestart += "jib addm ${name} em0";
}
```

## Fix
Use shorter names: at most 15 characters for interfaces, and at most 11
for the name given to `jib addm` or `jng bridge` (their prefix `e0a_` or
`ng0_` takes 4). A jail name can stay long: give jib a short name of its
own (`jib addm web1 em0`, `vnet.interface = "e0b_web1"`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// FreeBSD's longest interface name.
const MAX: usize = 15;

/// How a name came about.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// Written as is.
    Written,
    /// Derived by `jib addm NAME`.
    Jib(String),
    /// Derived by `jng bridge NAME` (and cut to 15 by jng).
    Jng(String),
}

/// One use of an interface name.
#[derive(Clone, Debug)]
struct Use {
    name: String,
    span: Span,
    label: String,
    kind: Kind,
    jail: String,
}

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Every long name with its places, once per place (wildcard sections
    // apply to many jails).
    let by_name: BTreeMap<String, Vec<Use>> = BTreeMap::new();
    batch_check(
        by_name,
        move |by_name, jail, batch, _| {
            for found in names(batch, jail) {
                if found.name.len() <= MAX {
                    continue;
                }
                let uses = by_name.entry(found.name.clone()).or_default();
                if !uses.iter().any(|u| u.span == found.span) {
                    uses.push(found);
                }
            }
        },
        move |by_name, report| {
            let mut groups: Vec<Vec<Use>> = by_name.into_values().collect();
            groups.sort_by_key(|uses| (uses[0].span.file, uses[0].span.range.start));
            let mut by_prefix: BTreeMap<&str, Vec<&Use>> = BTreeMap::new();
            for uses in &groups {
                report_long(report, uses);
                by_prefix
                    .entry(&uses[0].name[..MAX])
                    .or_default()
                    .push(&uses[0]);
            }
            for (prefix, group) in by_prefix {
                let [first, second, ..] = group.as_slice() else {
                    continue;
                };
                let message = format!(
                    "interface names `{}` and `{}` are both `{prefix}` when cut to {MAX} characters",
                    first.name, second.name
                );
                let mut finding = report.finding(message, second.span.clone());
                finding = if first.span == second.span {
                    finding.with_label(format!(
                        "`{}` for jail `{}`, `{}` for jail `{}`",
                        first.name, first.jail, second.name, second.jail
                    ))
                } else {
                    finding
                        .with_label(format!("`{}`", second.name))
                        .with_secondary(first.span.clone(), format!("`{}`", first.name))
                };
                report.push(finding.with_help(format!(
                    "make the first {MAX} characters of every interface name unique"
                )));
            }
        },
    )
}

/// Reports one long name, at its first place, with its other places.
fn report_long(report: &mut Report<'_>, uses: &[Use]) {
    let found = &uses[0];
    let length = found.name.len();
    let mut finding = match &found.kind {
        Kind::Written => report
            .finding(
                format!(
                    "interface name `{}` is {length} characters long; FreeBSD allows at most {MAX}",
                    found.name
                ),
                found.span.clone(),
            )
            .with_label(found.label.clone())
            .with_help(format!(
                "use a name of at most {MAX} characters: ifconfig(8) refuses longer ones (`interface name '…' too long`)"
            )),
        Kind::Jib(name) => report
            .finding(
                format!(
                    "`jib addm {name}` names the epair `{}` and `e0b_{name}` ({length} characters; FreeBSD allows at most {MAX})",
                    found.name
                ),
                found.span.clone(),
            )
            .with_label("jib cannot rename the new epair to this name and fails")
            .with_help(format!(
                "give `jib addm` a name of at most {} characters (it is prefixed with `e0a_`/`e0b_`), and `vnet.interface` the matching `e0b_` name",
                MAX - 4
            )),
        Kind::Jng(name) => report
            .finding(
                format!(
                    "`jng bridge {name}` names an interface `{}`, which jng cuts to `{}`",
                    found.name,
                    &found.name[..MAX]
                ),
                found.span.clone(),
            )
            .with_label(format!("{length} characters; FreeBSD allows at most {MAX}"))
            .with_help(format!(
                "give `jng bridge` a name of at most {} characters: `jng shutdown {name}` does not find the cut interface (it is left behind), and jails whose names start alike share one interface",
                MAX - 4
            )),
    };
    for other in &uses[1..] {
        let label = match &other.kind {
            Kind::Written => other.label.clone(),
            Kind::Jib(name) => format!("created by `jib addm {name}`"),
            Kind::Jng(name) => format!("created (cut) by `jng bridge {name}`"),
        };
        finding = finding.with_secondary(other.span.clone(), label);
    }
    // Only jng copes with a long name, by cutting it.
    if uses.iter().all(|u| matches!(u.kind, Kind::Jng(_))) {
        finding.severity = Severity::Warning;
    }
    report.push(finding);
}

/// Whether a word is a literal interface name (not a shell expansion or
/// a template placeholder).
fn is_literal(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Every interface name longer than [`MAX`] the jail uses, with where
/// (labels and kinds are only built for those).
fn names<'a>(batch: &Batch<'_, 'a>, jail: &JailRef<'a>) -> Vec<Use> {
    let mut out = Vec::new();
    let mut push =
        |name: &str, span: Option<Span>, label: &dyn Fn() -> String, kind: &dyn Fn() -> Kind| {
            if name.len() <= MAX {
                return;
            }
            if let Some(span) = span.filter(|_| is_literal(name)) {
                out.push(Use {
                    name: name.to_string(),
                    span,
                    label: label(),
                    kind: kind(),
                    jail: jail.name().into_owned(),
                });
            }
        };
    for value in jail.values("vnet.interface") {
        let name = crate::context::lossy(&value.text);
        push(
            &name,
            value.span.clone(),
            &|| "in `vnet.interface`".into(),
            &|| Kind::Written,
        );
    }
    if let Some(value) = jail.last_value("interface") {
        let name = crate::context::lossy(&value.text);
        push(
            &name,
            value.span.clone(),
            &|| "in `interface`".into(),
            &|| Kind::Written,
        );
    }
    for param in ["ip4.addr", "ip6.addr"] {
        for value in jail.values(param) {
            let text = crate::context::lossy(&value.text);
            for element in text.split(',') {
                if let Some((name, _)) = element.split_once('|') {
                    let label = || format!("the interface of an `{param}` alias");
                    push(name.trim(), value.span.clone(), &label, &|| Kind::Written);
                }
            }
        }
    }
    for HookValue {
        hook,
        value,
        commands,
        ..
    } in batch.hook_values(jail)
    {
        for words in commands.iter() {
            let program = program_name(&words[0]);
            if program != "ifconfig" {
                continue;
            }
            let Some(interface) = words.get(1).filter(|w| !w.starts_with('-')) else {
                continue;
            };
            push(
                interface,
                value.span.clone(),
                &|| format!("used in `{hook}`"),
                &|| Kind::Written,
            );
            for pair in words[2..].windows(2) {
                let label = || match &*pair[0] {
                    "name" => format!("a new name given in `{hook}`"),
                    _ => format!("a bridge member in `{hook}`"),
                };
                if !matches!(&*pair[0], "name" | "addm" | "deletem") {
                    continue;
                }
                push(&pair[1], value.span.clone(), &label, &|| Kind::Written);
            }
        }
    }
    for action in batch.net(jail).actions {
        let kind = || match &action.action {
            NetAction::Jib { name, .. } => Kind::Jib(name.to_string()),
            NetAction::Jng { name, .. } => Kind::Jng(name.to_string()),
            _ => unreachable!("only jib and jng actions get here"),
        };
        if !matches!(action.action, NetAction::Jib { .. } | NetAction::Jng { .. }) {
            continue;
        }
        // The first name stands for all: they differ only in the prefix.
        if let Some(name) = action.action.created_interfaces().first() {
            push(name, Some(action.span.clone()), &String::new, &kind);
        }
    }
    out
}
