//! JC021 `include-matches-nothing`: an `.include` glob that matches no
//! file.

use jailconf_parser::diag::Severity;

use crate::context::Context;
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC021",
    name: "include-matches-nothing",
    category: Category::Correctness,
    severity: Severity::Info,
    summary: "an `.include` pattern matches no file",
    docs: r#"## What it does
Reports an `.include` glob pattern (`*`, `?` or `[…]`) that matches no
file where the configuration is linted. A relative pattern is resolved
against the directory of the file that includes it.

## Why
jail(8) silently includes nothing for a glob without matches, so a typo
in the directory or the extension (`jail.conf.d/*.cfg`) loses every jail
that should have been read, without any message.

## Example
```
.include "/etc/jail.conf.d/*.cnf";
```

## Fix
Correct the pattern. If the files exist only on the jail host and the
configuration is linted elsewhere, ignore this finding."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    for include in &context.config.includes {
        if !include.is_glob || !include.files.is_empty() {
            continue;
        }
        let pattern = crate::context::lossy(&include.pattern);
        let finding = report
            .finding(format!("`.include` pattern `{pattern}` matches no file"), include.span.clone())
            .with_label("includes nothing")
            .with_help("jail(8) silently skips a glob without matches; check the directory and the extension (relative patterns start at the including file's directory)");
        report.push(finding);
    }
}
