//! JC010 `duplicate-jail`: two blocks define the same jail.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::hash::FastMap;
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC010",
    name: "duplicate-jail",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "the same jail is defined twice",
    docs: r#"## What it does
Reports a jail defined by two blocks: in one file, across files (for
example two files of `jail.conf.d`), or spelled differently (`a { b { } }`
and `a.b { }`).

## Why
jail(8) does not merge the blocks: it keeps two records with the same
name. `jail -c` then creates the first and fails or skips the second
depending on timing, and `jail -c NAME` picks one of them arbitrarily.

## Example
```
web { path = /jails/web; }
web { persist; }
```

## Fix
Merge the blocks into one, or rename one of the jails."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    let first: FastMap<&[u8], usize> =
        FastMap::with_capacity_and_hasher(context.jails().len(), Default::default());
    jail_check(
        first,
        move |first, jail, report| {
            let Some(&earlier) = first.get(jail.jail.name.as_slice()) else {
                first.insert(&jail.jail.name, jail.index);
                return;
            };
            let (Some(span), Some(earlier_span)) = (jail.span(), context.jails()[earlier].span())
            else {
                return;
            };
            let finding = report
                .finding(format!("jail `{}` is defined twice", jail.name()), span)
                .with_label("defined again here")
                .with_secondary(earlier_span, "first defined here")
                .with_help("jail(8) keeps both blocks as separate jails with the same name; merge them or rename one");
            report.push(finding);
        },
        |_, _| {},
    )
}
