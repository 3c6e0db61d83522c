//! JC001 `syntax-error`: jail(8) cannot parse the file

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC001",
    name: "syntax-error",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "jail(8) cannot parse the file",
    docs: r#"## What it does
Reports every lexical and syntax error: a missing `;` or `}`, two values
without a comma, an unquoted partial wildcard name (`foo.*`), a `//` or `#`
that starts a comment inside an unquoted word, a quote that swallows text
up to a later quote, unterminated strings, comments and variables, and
bytes jail(8) does not accept outside quotes.

## Why
jail(8) refuses the whole file at the first error, so no jail in it starts,
and its message names only a line and a token (`line 18: =: syntax error`).

## Example
```
web {
    path = /jails//web;
    persist
}
```

## Fix
Quote values that contain `//`, `#`, spaces or `=`; end every statement
with `;`; quote wildcard names (`"web.*" { }`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    super::forward_model_diagnostics(
        context,
        report,
        &[
            "syntax-error",
            "unterminated-string",
            "unterminated-comment",
            "unterminated-variable",
            "stray-character",
        ],
    );
}
