//! JC002 `include-error`: an .include cannot be read

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC002",
    name: "include-error",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "an .include cannot be read",
    docs: r#"## What it does
Reports `.include` directives jail(8) cannot follow: a file name with a
variable in it, a file that does not exist (a name without glob
characters must exist), an include loop (nesting deeper than 32 levels)
and a pattern glob(3) cannot expand.

## Why
Any of these makes jail(8) stop before creating any jail.

## Example
```
.include "$confdir/web.conf";
.include "/etc/jail.conf.d/web.conf";   # no such file
```

## Fix
Write include paths literally; use a glob (`/etc/jail.conf.d/*.conf`) when
the files may be absent; break include cycles."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(
        context,
        report,
        &[
            "include-variable",
            "include-not-found",
            "include-depth",
            "include-glob-failed",
        ],
    );
}
