//! JC057 `shared-console-log`: two jails write to the same
//! `exec.consolelog` file.

use std::borrow::Cow;
use std::collections::HashMap;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::Span;

use super::list;
use crate::context::Context;
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};
use crate::shared_keys::{sort_by_second_use, KeyUses};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC057",
    name: "shared-console-log",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "two jails write their console output to the same file",
    docs: r#"## What it does
Compares the `exec.consolelog` file of every jail (after variable
expansion) and reports files used by more than one jail, for example a
fixed name set in the global section. Device files such as `/dev/null`
are not reported.

## Why
jail(8) appends the output of each jail's `exec.start`, `exec.stop` and
`command` to this file. With one file for several jails the lines
interleave and nothing tells which jail printed what, so the log cannot
be trusted when investigating one jail; rotating or truncating it for
one jail loses the other's, and whoever may read one jail's log reads
all of them.

## Example
```
exec.consolelog = "/var/log/jail_console.log";
web { path = "/jails/web"; }
db  { path = "/jails/db"; }
```

## Fix
Give each jail its own file, e.g. in the global section:
`exec.consolelog = "/var/log/jail_${name}_console.log";`"#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// At most this many other places are shown.
const MAX_SECONDARY: usize = 5;

/// Collapses repeated `/`.
fn normalize(path: &str) -> Cow<'_, str> {
    if !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // File -> the jails using it, with the value each was set by.
    let by_file: KeyUses<Cow<'_, str>, (usize, Span)> =
        KeyUses::with_capacity(context.jails().len());
    jail_check(
        by_file,
        move |by_file, jail, _| {
            let Some(value) = jail.last_value("exec.consolelog") else {
                return;
            };
            let file = match crate::context::lossy(&value.text) {
                Cow::Borrowed(text) => normalize(text.trim()),
                Cow::Owned(text) => Cow::Owned(normalize(text.trim()).into_owned()),
            };
            if file.is_empty() || file.starts_with("/dev/") {
                return;
            }
            let Some(span) = value
                .span
                .clone()
                .or_else(|| jail.param_span("exec.consolelog"))
            else {
                return;
            };
            by_file.push(file, (jail.index, span));
        },
        move |by_file, report| {
            // A jail defined twice (JC010) does not share with itself.
            let jails = context.jails();
            let mut shared = by_file.shared(|&(jail, _)| jails[jail].jail.name.as_slice());
            sort_by_second_use(&mut shared, |(_, span)| span);
            for (file, uses) in shared {
                let all: Vec<String> = uses
                    .iter()
                    .map(|(j, _)| format!("`{}`", jails[*j].name()))
                    .collect();
                // The places that set it, each with the jails it applies to.
                let mut places: Vec<(Span, Vec<String>)> = Vec::new();
                let mut place_of: HashMap<&Span, usize> = HashMap::new();
                for ((_, span), name) in uses.iter().zip(&all) {
                    let index = *place_of.entry(span).or_insert_with(|| {
                        places.push((span.clone(), Vec::new()));
                        places.len() - 1
                    });
                    places[index].1.push(name.clone());
                }
                let describe = |names: &[String]| {
                    let which = if names.len() == 1 { "jail" } else { "jails" };
                    format!("{which} {}", list(names))
                };
                // Point at the first place that repeats the file (or at the one
                // statement every jail inherits).
                let primary = places.len().min(2) - 1;
                let (span, names) = &places[primary];
                let mut finding = report
                    .finding(
                        format!(
                            "jails {} write their console output to the same file `{file}`",
                            list(&all)
                        ),
                        span.clone(),
                    )
                    .with_label(format!("used by {}", describe(names)))
                    .with_help("give each jail its own file, e.g. `exec.consolelog = \"/var/log/jail_${name}_console.log\";`");
                let others = places
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| *index != primary);
                for (_, (span, names)) in others.take(MAX_SECONDARY) {
                    finding = finding
                        .with_secondary(span.clone(), format!("also used by {}", describe(names)));
                }
                report.push(finding);
            }
        },
    )
}
