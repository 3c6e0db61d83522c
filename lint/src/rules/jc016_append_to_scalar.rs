//! JC016 `append-to-scalar`: `+=` on a parameter that keeps one value.

use jailconf_parser::diag::Severity;
use jailconf_parser::lexer::TokenKind;
use jailconf_parser::source::Span;

use crate::context::{Context, KnownParams};
use crate::rule::{Category, Check, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC016",
    name: "append-to-scalar",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "`+=` on a single-valued parameter; only the last value is used",
    docs: r#"## What it does
Reports `+=` on a parameter that takes a single value (`path`,
`host.hostname`, `securelevel`, `exec.jail_user`, booleans, …), as
opposed to the list parameters (`ip4.addr`, `ip6.addr`, `exec.*`,
`command`, `mount`, `depend`, `vnet.interface`, …).

## Why
`+=` adds a value to the list, but jail(8) and the kernel use only the
last value of a single-valued parameter and silently drop the others.
`host.hostname += "$name.example.org";` after a global
`host.hostname = example.org;` does not build a longer name: it
replaces it.

## Example
```
path = /jails;
web { path += /web; }
```

## Fix
Use `=`, and write the whole value (`path = "/jails/web";`)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    let mut known = KnownParams::default();
    for statement in context.appends() {
        if statement.is_var {
            continue;
        }
        let Some((param, _)) = known.get(&statement.name) else {
            continue;
        };
        if param.is_list() {
            continue;
        }
        let name = statement.name_str();
        let tree = context.tree(statement.file);
        let Some(operator) = tree.child_token(statement.node, TokenKind::PlusEq) else {
            continue;
        };
        let token = tree.tokens().at(operator as usize);
        let finding = report
            .finding(
                format!("`+=` on `{name}`, which keeps only its last value"),
                Span::new(statement.file, token.start..token.end),
            )
            .with_label("appends a value that replaces the earlier ones")
            .with_secondary(statement.name_span(), format!("`{name}` takes a single value"))
            .with_help(format!(
                "use `=` and write the whole value; jail(8) silently drops all but the last value of `{name}`"
            ));
        report.push(finding);
    }
}
