//! JC035 `duplicate-vnet-interface`: two jails use the same epair or
//! `vnet.interface`.

use std::borrow::Cow;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use crate::commands::{epair_base, NetAction, Side};
use crate::context::Context;
use crate::rule::{batch_check, Category, Check, JailCheck, Report, Rule};
use crate::rules::and_list;
use crate::shared_keys::{later_places, sort_by_second_use, KeyUses};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC035",
    name: "duplicate-vnet-interface",
    category: Category::Networking,
    severity: Severity::Error,
    summary: "two jails use the same epair or vnet.interface",
    docs: r#"## What it does
Reports an interface handed to two jails with `vnet.interface`, and an
epair pair (`epairN`, `epairNa`, `epairNb`) that the hooks of two jails
create or use — typically a jail file copied from another without
changing its `$id`.

## Why
An interface can only be in one jail. The second jail fails to start
(`ifconfig: SIOCIFCREATE2: File exists`, or the interface is already in
another vnet), or worse, takes the interface away from the first.

## Example
```
vnet1 { $id = 60; vnet.interface = "epair${id}b"; exec.prestart += "ifconfig epair${id} create up"; }
vnet2 { $id = 60; vnet.interface = "epair${id}b"; exec.prestart += "ifconfig epair${id} create up"; }
```

## Fix
Give every jail its own epair number (`$id`) or interface."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// Interface (an epair by its pair name) -> first use per jail.
type Uses<'c> = KeyUses<Cow<'c, str>, (usize, Span)>;

/// Records a use of interface `name` by the jail at `jail`.
fn record<'c>(uses: &mut Uses<'c>, name: Cow<'c, str>, jail: usize, span: Span) {
    let key = match name {
        Cow::Borrowed(name) => Cow::Borrowed(epair_base(name).unwrap_or(name)),
        Cow::Owned(mut name) => {
            name.truncate(epair_base(&name).map_or(name.len(), str::len));
            Cow::Owned(name)
        }
    };
    uses.push(key, (jail, span));
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let uses = Uses::with_capacity(context.jails().len());
    batch_check(
        uses,
        move |uses, jail, batch, _| {
            for value in jail.values("vnet.interface") {
                if let Some(span) = value.span.clone() {
                    record(uses, crate::context::lossy(&value.text), jail.index, span);
                }
            }
            for action in batch.net(jail).actions {
                if let (NetAction::Create(name), Side::Host) = (&action.action, action.side) {
                    if epair_base(name).is_some() {
                        record(uses, name.clone(), jail.index, action.span.clone());
                    }
                }
            }
        },
        move |uses, report| report_shared(context, uses, report),
    )
}

/// Reports the interfaces that several jails use.
fn report_shared(context: &Context<'_>, uses: Uses<'_>, report: &mut Report<'_>) {
    // A jail's own uses count once (its first).
    let mut found = uses.shared(|&(jail, _)| jail);
    sort_by_second_use(&mut found, |(_, span)| span);
    let jails = context.jails();
    let name = |jail: usize| format!("`{}`", jails[jail].name());
    for (interface, uses) in found {
        let (first_jail, first_span) = &uses[0];
        for ((_, span), jails_here) in later_places(&uses, |u| u.0, |u| &u.1) {
            let here: Vec<String> = jails_here.iter().map(|&jail| name(jail)).collect();
            let mut all = here.clone();
            if span != first_span {
                all.insert(0, name(*first_jail));
            }
            let mut finding = report
                .finding(
                    format!("interface `{interface}` is used by jails {}", and_list(&all)),
                    span.clone(),
                )
                .with_label(format!("used by {}", and_list(&here)))
                .with_help("an interface can be in one jail only; give each jail its own epair number or interface");
            if span != first_span {
                finding = finding.with_secondary(
                    first_span.clone(),
                    format!("also used by {}", name(*first_jail)),
                );
            }
            report.push(finding);
        }
    }
}
