//! JC038 `raw-sockets-on-vnet`: `allow.raw_sockets` on a VNET jail, where
//! it changes nothing.

use std::collections::BTreeMap;

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::model::equal_opts;
use jailconf_parser::source::Span;
use jailconf_parser::syntax::NodeId;

use crate::context::{c_strtol, Context, JailRef, StatementRef};
use crate::hash::{FastMap, FastSet};
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};

use super::{is_own_block, statement_removal};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC038",
    name: "raw-sockets-on-vnet",
    category: Category::Networking,
    severity: Severity::Info,
    summary: "allow.raw_sockets on a VNET jail is redundant",
    docs: r#"## What it does
Reports `allow.raw_sockets` on VNET jails. When the statement is in the
jail's own block it offers a safe fix that removes it; when it comes from
a global or wildcard section (which other jails share) it only reports.
Jails that may create child jails (`children.max` above 0) are left
alone, since children can only get `allow.raw_sockets` from a parent
that has it.

## Why
The kernel lets the root user of a VNET jail open raw sockets in the
jail's own network stack anyway (ping and traceroute work), so the
permission does nothing there; it is usually carried over from a classic
jail's configuration, and it makes the configuration look less strict
than it is to anyone reviewing permissions.

## Example
```
vnet {
    vnet;
    vnet.interface = "epair60b";
    allow.raw_sockets;
}
```

## Fix
Remove the statement (`jailconf lint --fix` does it)."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Jails(check),
};

const PARAM: &str = "allow.raw_sockets";

/// A statement that sets the parameter for VNET jails: its place, the fix
/// (when it is in the jail's own block) and the jails.
type Found = (Span, Option<Fix>, Vec<String>);

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // The statements that set the parameter, by place and by block.
    let mut at: FastMap<(u32, u32), &StatementRef<'_>> = FastMap::default();
    let mut in_block: FastMap<(u32, NodeId), Vec<&StatementRef<'_>>> = FastMap::default();
    for statement in context.statements() {
        if statement.is_var || !equal_opts(&statement.name, PARAM.as_bytes()) {
            continue;
        }
        at.insert((statement.file.0, statement.range.start), statement);
        if let Some(block) = statement.block {
            in_block
                .entry((statement.file.0, block))
                .or_default()
                .push(statement);
        }
    }
    // Keyed by place: a wildcard section is reported once.
    let found: BTreeMap<(u32, u32), Found> = BTreeMap::new();
    // The jails already listed at each place.
    let listed: FastSet<((u32, u32), std::borrow::Cow<'_, str>)> = FastSet::default();
    jail_check(
        (at, in_block, found, listed),
        move |(at, in_block, found, listed), jail, _| {
            if !jail.is_vnet() || jail.flag(PARAM) != Some(true) || may_have_children(jail) {
                return;
            }
            let Some(span) = jail.param_any(PARAM).and_then(|p| p.span.clone()) else {
                return;
            };
            let own = at
                .get(&(span.file.0, span.range.start))
                .and_then(|s| s.block.filter(|&b| is_own_block(context, s, b, jail)))
                .and_then(|block| in_block.get(&(span.file.0, block)));
            let entry = found
                .entry((span.file.0, span.range.start))
                .or_insert_with(|| (span.clone(), own.map(|s| removal(context, s)), Vec::new()));
            let name = jail.name();
            if listed.insert(((span.file.0, span.range.start), name.clone())) {
                entry.2.push(name.into_owned());
            }
        },
        move |(_, _, found, _), report| {
            for (span, fix, jails) in found.into_values() {
                let names: Vec<String> = jails.iter().map(|j| format!("`{j}`")).collect();
                let which = if names.len() == 1 { "jail" } else { "jails" };
                let mut finding = report
                    .finding(
                        format!(
                            "`{PARAM}` is redundant in VNET {which} {}",
                            super::list(&names)
                        ),
                        span,
                    )
                    .with_label("has no effect here")
                    .with_help(if fix.is_some() {
                        "remove it: the root user of a VNET jail may always open raw sockets in the jail's own network stack"
                    } else {
                        "VNET jails may always open raw sockets; set it only for the classic jails that need it, not in a section the VNET jails share"
                    });
                finding.fix = fix;
                report.push(finding);
            }
        },
    )
}

/// Whether the jail may create child jails, which inherit its permissions
/// as a limit.
fn may_have_children(jail: &JailRef<'_>) -> bool {
    jail.last_value("children.max")
        .is_some_and(|v| c_strtol(&v.text) != 0)
}

/// A fix removing the statements (each with its line when it is alone on
/// it).
fn removal(context: &Context<'_>, statements: &[&StatementRef<'_>]) -> Fix {
    let edits = statements
        .iter()
        .map(|statement| TextEdit {
            span: statement_removal(context, &statement.span()),
            new_text: String::new(),
        })
        .collect();
    Fix {
        title: format!("remove `{PARAM}`"),
        safe: true,
        edits,
    }
}
