//! JC020 `missing-parent`: a hierarchical jail `a.b` whose parent `a` is
//! not defined.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::hash::FastSet;
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC020",
    name: "missing-parent",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "a jail `a.b` whose parent jail `a` is not defined",
    docs: r#"## What it does
Reports a jail whose name contains a dot (`a.b`, also from a nested block
`a { b { } }`) when no jail `a` is defined in the configuration (in any
of the files linted together).

## Why
A dot in a jail name makes it hierarchical: jail(8) creates `a.b` as the
child `b` inside the running jail `a`. If `a` is not running (and allows
children with `children.max`), creating `a.b` fails. A dot is often
meant as part of a plain name (`web.example.org`), which does not work.

## Example
```
web.example.org { persist; }
```

## Fix
Define the parent jail (with `persist` and `children.max` of at least
the number of its children), or rename the jail without dots
(`web_example_org`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Built at the first dotted name: most hosts have none.
    let defined: Option<FastSet<&[u8]>> = None;
    jail_check(
        defined,
        move |defined, jail, report| {
            let name = &jail.jail.name;
            let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
                return;
            };
            let parent = &name[..dot];
            let defined = defined.get_or_insert_with(|| {
                (context.config.jails.iter())
                    .map(|j| j.name.as_slice())
                    .collect()
            });
            if parent.is_empty() || defined.contains(parent) {
                return;
            }
            let Some(span) = jail.span() else { return };
            // A file jail(8) refuses may hide the parent.
            if context.run_refused(span.file) {
                return;
            }
            let (child, parent) = (jail.name(), crate::context::lossy(parent));
            let finding = report
                .finding(
                    format!("jail `{child}` is a child of jail `{parent}`, which is not defined"),
                    span,
                )
                .with_label(format!("created inside `{parent}`"))
                .with_help(format!(
                    "define `{parent}` (with `persist;` and `children.max`), or rename the jail without a dot if it is not meant to be a child jail"
                ));
            report.push(finding);
        },
        |_, _| {},
    )
}
