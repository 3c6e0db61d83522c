//! JC004 `variable-loop`: variables refer to each other in a loop

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC004",
    name: "variable-loop",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "variables refer to each other in a loop",
    docs: r#"## What it does
Reports variables and parameters whose values refer back to themselves,
directly (`path = "$path/x";`) or through other variables.

## Why
jail(8) reports `variable loop` and fails every jail the definitions
apply to. A self-reference does not append: there is no previous value.

## Example
```
$a = "x$b";
$b = "y$a";
```

## Fix
Break the cycle; to build on a value, use a second variable."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(context, report, &["variable-loop"]);
}
