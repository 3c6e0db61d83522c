//! JC090 `unused-suppression`: a `# jailconf: ignore[…]` comment that
//! suppresses nothing.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule. Its findings are produced by [`crate::lint`] after the other
/// rules ran, since only then is it known which suppressions were used.
pub static RULE: Rule = Rule {
    code: "JC090",
    name: "unused-suppression",
    category: Category::Operations,
    severity: Severity::Warning,
    summary: "an inline suppression suppresses nothing",
    docs: r#"## What it does
Reports `# jailconf: ignore[CODE]` comments that did not suppress any
finding, including ones naming an unknown rule.

## Why
A stale suppression hides nothing today but will silently hide a real
problem later; a misspelt code never worked.

## Example
```
web {
    persist;  # jailconf: ignore[JC054]
}
```

## Fix
Remove the comment, or correct the rule code and place it on the line
(or right above the statement or block) it should cover."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(_: &Context<'_>, _: &mut Report<'_>) {}
