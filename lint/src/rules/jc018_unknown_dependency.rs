//! JC018 `unknown-dependency`: `depend` names a jail the configuration
//! does not define.

use jailconf_parser::diag::Severity;

use crate::context::{ByPlace, Context};
use crate::rule::{jail_check, Category, Check, JailCheck, Rule};
use crate::rules::jc019_dependency_cycle::{dependencies, JailIndex};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC018",
    name: "unknown-dependency",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "`depend` names a jail that is not defined",
    docs: r#"## What it does
Reports every `depend` value that is not the name of a jail defined in
the same configuration (the top-level file jail(8) is run with and the
files it includes), with the closest defined name as a suggestion.

## Why
jail(8) reports `depends on undefined jail "X"`, marks the jail failed
and does not start it. A jail defined in another file that is not
included (for example another file of `jail.conf.d` started through
`jail_list`) is unknown to that run.

## Example
```
db { persist; }
web { persist; depend = dbb; }
```

## Fix
Correct the name, or define (or `.include`) the jail it depends on."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Built at the first `depend`: most hosts have none.
    let index: Option<JailIndex> = None;
    let found: ByPlace<String> = ByPlace::default();
    jail_check(
        (index, found),
        move |(index, found), jail, _| {
            // A file jail(8) refuses may hide the jail it depends on.
            if jail.span().is_some_and(|s| context.run_refused(s.file)) {
                return;
            }
            for dependency in dependencies(context, jail) {
                let index = index.get_or_insert_with(|| JailIndex::new(context));
                if index.find(jail, dependency.name).is_none() {
                    let name = crate::context::lossy(dependency.name).into_owned();
                    found.add(dependency.span.clone(), name.clone(), jail, name);
                }
            }
        },
        move |(_, found), report| {
            for place in found.into_places() {
                let jails = place.jails_text();
                let Some((first_jail, missing)) = place.items.first() else {
                    continue;
                };
                let suggestion = context
                    .jails()
                    .iter()
                    .map(|j| j.name())
                    .filter(|n| *n != *missing)
                    .map(|n| (strsim::damerau_levenshtein(missing, &n), n))
                    .filter(|(distance, _)| *distance <= (missing.len() / 4).clamp(1, 3))
                    .min_by_key(|(distance, _)| *distance);
                // Defined in another file of this lint that the jail's own
                // run does not read (a sibling in jail.conf.d).
                let elsewhere = (context.jails().iter())
                    .find(|j| j.name() == *missing)
                    .and_then(|j| j.span());
                let help = match (&elsewhere, suggestion) {
                    (Some(span), _) => format!(
                        "`{missing}` is defined in `{}`, which jail(8) does not read when it starts this file's jails (rc.d/jail starts each jail.conf.d file on its own); `.include` that file here",
                        context.config.sources.get(span.file).name
                    ),
                    (None, Some((_, name))) => format!("did you mean `{name}`?"),
                    (None, None) => {
                        "define the jail, `.include` the file that defines it, or remove it from `depend`"
                            .to_string()
                    }
                };
                let verb = if place.items.len() == 1 {
                    "depends"
                } else {
                    "depend"
                };
                let mut finding = report
                    .finding(
                        format!("{jails} {verb} on `{missing}`, which is not defined"),
                        place.span.clone(),
                    )
                    .with_label("no jail of this name")
                    .with_help(help)
                    .with_jail_message(format!(
                        "{first_jail}: depends on undefined jail \"{missing}\""
                    ));
                if let Some(span) = elsewhere {
                    finding =
                        finding.with_secondary(span, "defined here, for another run of jail(8)");
                }
                report.push(finding);
            }
        },
    )
}
