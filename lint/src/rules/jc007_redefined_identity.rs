//! JC007 `redefined-identity`: name or jid is set although the block name sets it

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC007",
    name: "redefined-identity",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "name or jid is set although the block name sets it",
    docs: r#"## What it does
Reports `name = …;` in a jail block (and `jid` in a numeric one, or a
second `jid`): the block name already sets them.

## Why
jail(8) reports `cannot redefine parameter "name".` and fails the jail.

## Example
```
web {
    name = www;
}
```

## Fix
Rename the block instead."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(context, report, &["redefined-identity"]);
}
