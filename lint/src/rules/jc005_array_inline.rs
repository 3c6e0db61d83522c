//! JC005 `array-inline`: a variable with several values is used inside a string

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC005",
    name: "array-inline",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "a variable with several values is used inside a string",
    docs: r#"## What it does
Reports a reference to a variable with several values (`$addrs = a, b;`)
that is not the whole value it appears in.

## Why
jail(8) can only expand a list variable as a whole value (it becomes
several values); inside other text it reports `array cannot be
substituted inline`, drops the reference and fails the jail.

## Example
```
$addrs = 192.0.2.1, 192.0.2.2;
web { exec.start = "echo $addrs"; }
```

## Fix
Use the list as a whole value (`ip4.addr = $addrs;`), or define a
single-valued variable for the text."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(context, report, &["array-inline"]);
}
