//! JC012 `conflicting-boolean`: both spellings of a boolean (`allow.mount`
//! and `allow.nomount`) in one block or section.

use jailconf_parser::diag::Severity;
use jailconf_parser::source::FileId;
use jailconf_parser::syntax::NodeId;

use crate::context::{Context, FilePlace, KnownParams, StatementRef};
use crate::rule::{Category, Check, Report, Rule};
use crate::rules::jc011_overridden_assignment::{merges, Merge};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC012",
    name: "conflicting-boolean",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "a boolean is set under both spellings (`x` and `nox`) in one block",
    docs: r#"## What it does
Reports a boolean parameter written both ways — `persist` and
`nopersist`, `allow.mount` and `allow.nomount`, `mount.devfs` and
`mount.nodevfs` — in one jail block, one wildcard block, or the global
section (the top-level statements, also of included files).

## Why
jail(8) treats both spellings as one parameter: the later statement
silently wins and renames the entry, so the earlier one is dead and the
block says two contradictory things. Which one applies depends only on
the order of the lines.

## Example
```
web {
    allow.mount;
    allow.mount.zfs;
    allow.nomount;
}
```

## Fix
Keep one spelling: remove the statement you do not want."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

/// The block or section a statement belongs to: a jail block, or the
/// global section of a top-level file (which on 14+ also holds the
/// top-level statements of the files it includes outside blocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Section {
    Block(FileId, NodeId),
    Global(FileId),
}

fn section(context: &Context<'_>, statement: &StatementRef<'_>) -> Section {
    if let Some(block) = statement.block {
        return Section::Block(statement.file, block);
    }
    let place = context.file_place(statement.file);
    match place.block {
        Some((file, block)) => Section::Block(file, block),
        None => Section::Global(place.root),
    }
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    let statements = context.statements();
    let mut known = KnownParams::default();
    let mut visit = |merge: &Merge| {
        let (first, second) = (&statements[merge.previous], &statements[merge.current]);
        if first.name == second.name || first.is_var {
            return;
        }
        let Some((param, _)) = known.get(&second.name) else {
            return;
        };
        if !param.is_bool() {
            return;
        }
        let (old, new) = (first.name_str(), second.name_str());
        let place = match section(context, second) {
            Section::Block(..) => "block",
            Section::Global(_) => "global section",
        };
        let finding = report
                .finding(
                    format!("`{old}` and `{new}` are both set in this {place}; `{new}` wins"),
                    second.name_span(),
                )
                .with_label(format!("replaces `{old}`"))
                .with_secondary(first.name_span(), format!("`{old}` set here"))
                .with_help(format!(
                    "jail(8) treats them as one parameter and keeps the later statement; remove the `{old}` or the `{new}` statement"
                ));
        report.push(finding);
    };
    // When every top-level statement is in a top-level file (one no other
    // file includes), the sections are the blocks JC011 merges statements
    // in: share its merges. Only included files' statements need a look.
    let same_blocks = context.config.sources.iter().all(|(file, _)| {
        let top_level = FilePlace {
            root: file,
            block: None,
        };
        context.file_place(file) == top_level
            || (context.statements_of(file).iter()).all(|s| s.block.is_some())
    });
    if same_blocks {
        context.block_merges().iter().for_each(visit);
    } else {
        // Sections gather statements of several files: keep them all.
        merges(
            statements,
            |s| section(context, s),
            |_, _| false,
            |merge| visit(&merge),
        );
    }
}
