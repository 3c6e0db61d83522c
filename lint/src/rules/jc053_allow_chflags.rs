//! JC053 `allow-chflags`: the jail's root may change system file flags.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{place_check, Category, Check, JailCheck, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC053",
    name: "allow-chflags",
    category: Category::Security,
    severity: Severity::Warning,
    summary: "allow.chflags lets the jail's root clear system file flags",
    docs: r#"## What it does
Reports jails with `allow.chflags` enabled, unless the jail's
`securelevel` is 1 or more.

## Why
Without it, chflags(2) treats the jail's root as an ordinary user: it
cannot set or clear the system flags (`schg`, `sappnd`, `sunlnk`). With
it, and a securelevel of 0 or less (a jail inherits the host's, usually
-1), root in the jail can clear the immutable and append-only flags the
host set on the jail's binaries and logs, so that protection is gone.
From securelevel 1 on, the kernel refuses to clear these flags even to a
privileged user, so the rule stays silent there.

## Example
```
web {
    path = "/jails/web";
    allow.chflags;
}
```

## Fix
Remove `allow.chflags` (the default is off), or set `securelevel = 1`
(or higher) for the jail. Only a jail that installs its own base system
from inside (`make installworld`, `freebsd-update` run in the jail)
needs it; update such jails from the host instead."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(_: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    place_check(
        move |found, jail| {
            if jail.flag("allow.chflags") != Some(true) {
                return;
            }
            // From securelevel 1 on, system flags cannot be cleared at all.
            if jail.int("securelevel").is_some_and(|(level, _)| level >= 1) {
                return;
            }
            if let Some(span) = jail.param_any("allow.chflags").and_then(|p| p.span.clone()) {
                found.add(span, "", jail, ());
            }
        },
        move |place, report| {
            let finding = report
                .finding(
                    format!(
                        "`allow.chflags` lets root in {} clear system file flags",
                        place.jails_text()
                    ),
                    place.span.clone(),
                )
                .with_label("`schg` and `sappnd` can be cleared in the jail")
                .with_help("remove it unless the jail installs its own base system (the default is off), or set `securelevel = 1` or higher for the jail");
            report.push(finding);
        },
    )
}
