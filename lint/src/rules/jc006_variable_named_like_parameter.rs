//! JC006 `variable-named-like-parameter`: a variable has the name of a parameter

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC006",
    name: "variable-named-like-parameter",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "a variable has the name of a parameter",
    docs: r#"## What it does
Reports variables named like one of jail(8)'s own parameters (`$path`,
`$name`, `$mount`, `$exec.start` …), or like a parameter the same jail
sets.

## Why
Variables and parameters share one namespace per jail. jail(8) rejects
the variable with `variable "$path" cannot have the same name as a
parameter.` and fails the jail.

## Example
```
$path = "/jails";
web { path = "$path/web"; }
```

## Fix
Rename the variable (`$root = "/jails";`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(context, report, &["variable-named-like-parameter"]);
}
