//! JC003 `undefined-variable`: a variable is referenced but never defined for the jail

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC003",
    name: "undefined-variable",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "a variable is referenced but never defined for the jail",
    docs: r#"## What it does
Reports `$name` / `${name}` references that have no value in the jail that
uses them: not defined at top level, in a matching wildcard block or in the
jail itself, or naming a parameter given without a value (`persist;`).

## Why
jail(8) reports `variable "x" not found`, marks the jail failed and does
not start it. A variable in a global or wildcard section is expanded for
every jail, so one undefined name can stop all of them.

## Example
```
path = "/jails/$jailname";
web { persist; }
```

## Fix
Define the variable (`$jailname = web;`) where every jail using it sees
it, or use `${name}` for the jail name."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(context, report, &["undefined-variable"]);
}
