//! JC015 `top-level-after-block`: a top-level statement after a jail
//! block, which FreeBSD 13 and 14+ place differently.

use std::ops::Range;

use jailconf_parser::diag::Severity;
use jailconf_parser::lexer::piece_value;
use jailconf_parser::model::is_wildcard_name;
use jailconf_parser::source::{FileId, Span};
use jailconf_parser::syntax::{NodeId, NodeKind, SyntaxTree};

use crate::context::Context;
use crate::hash::FastMap;
use crate::rule::{Category, Check, Report, Rule};
use crate::rules::jc011_overridden_assignment::spellings;

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC015",
    name: "top-level-after-block",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "a top-level statement after a jail block",
    docs: r#"## What it does
Reports the first top-level statement (other than `.include`) that
follows a jail block in the same file and sets a parameter or variable
that a jail or wildcard block sets too, once per file. (Where nothing
else sets it, its position changes nothing.)

## Why
Top-level statements act as a section applied to every jail, and where
that section sits decides whether it comes before a jail's own
statements (the jail's values win) or after them (the section's values
win). FreeBSD 13 starts a new section at each group of top-level
statements, so a statement after `web { }` overrides `web`'s own
values. FreeBSD 14 and later have one global section, positioned at the
first top-level statement of the configuration, and every later
top-level statement joins it there. The same file therefore gives
different values on different releases, and neither is what a reader
expects from the layout.

## Example
```
path = "/jails/$name";
web { path = /srv/web; persist; }
persist = false;
```
On 13 `persist = false` is a separate section after `web` and wins over
`web`'s own `persist`; on 14+ it joins the section at line 1, before
`web`'s statements, and `web` keeps `persist`.

## Fix
Move all top-level statements above the first jail block (or into a
`* { }` block placed where it should apply)."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Config(check),
};

/// The name of a block or statement as jail(8) reads it (its first
/// piece), with the name's byte range.
fn name_of(tree: &SyntaxTree, node: NodeId, kind: NodeKind) -> Option<(Vec<u8>, Range<usize>)> {
    let name = tree.child_node(node, kind)?;
    let token = tree.token_range(name).start;
    let piece = tree.tokens().get(token)?;
    Some((
        piece_value(piece.kind, tree.token_text(token as u32)),
        tree.byte_range(name),
    ))
}

/// A byte range of `file` as a span.
fn span(file: FileId, range: Range<usize>) -> Span {
    Span::new(file, range.start as u32..range.end as u32)
}

/// A statement slot: the top-level file's run, variable or parameter,
/// and the name.
type Slot<'s> = (FileId, bool, &'s [u8]);

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    // Where each parameter or variable is first set inside a block (jail
    // or wildcard): only those slots depend on the global section's
    // position.
    // Built when first needed: most files have no top-level statement
    // after a block.
    let in_blocks = std::cell::OnceCell::new();
    let in_blocks = || {
        in_blocks.get_or_init(|| {
            let mut in_blocks: FastMap<Slot<'_>, Span> = FastMap::default();
            for statement in context.statements() {
                let place = context.file_place(statement.file);
                if statement.block.is_some() || place.block.is_some() {
                    in_blocks
                        .entry((place.root, statement.is_var, &statement.name[..]))
                        .or_insert_with(|| statement.name_span());
                }
            }
            in_blocks
        })
    };
    for (file, source) in context.config.sources.iter() {
        // A file included inside a block has no top level of its own.
        if context.file_place(file).block.is_some() {
            continue;
        }
        let tree = &source.parse.tree;
        let mut first_statement: Option<NodeId> = None;
        let mut first_block: Option<(Vec<u8>, Range<usize>)> = None;
        for node in tree.child_nodes(tree.root()) {
            match tree.kind(node) {
                NodeKind::JailBlock if first_block.is_none() => {
                    first_block = name_of(tree, node, NodeKind::JailName)
                        .filter(|(name, _)| !is_wildcard_name(name));
                }
                NodeKind::Statement => {
                    let Some((name, _)) = name_of(tree, node, NodeKind::ParamName) else {
                        continue;
                    };
                    if name.starts_with(b".include") {
                        continue;
                    }
                    let Some((block_name, block_range)) = &first_block else {
                        first_statement.get_or_insert(node);
                        continue;
                    };
                    // Its position only matters if a block sets it too.
                    let is_var = tree
                        .child_node(node, NodeKind::ParamName)
                        .and_then(|n| tree.tokens().get(tree.token_range(n).start))
                        .is_some_and(|t| t.kind.is_variable());
                    let root = context.file_place(file).root;
                    let Some(also) = std::iter::once(name.clone())
                        .chain(spellings(&name))
                        .find_map(|n| in_blocks().get(&(root, is_var, n.as_slice())).cloned())
                    else {
                        continue;
                    };
                    let block_name = crate::context::lossy(block_name);
                    let help = match first_statement {
                        Some(earlier) => {
                            let at = tree.byte_range(earlier).start as u32;
                            let line = source.lines.line_col(at).line;
                            format!(
                                "FreeBSD 13 applies it after the jail blocks above it, overriding their own settings; 14 and later apply it with the top-level statements from line {line}, before each jail's own settings; move it above the first jail block"
                            )
                        }
                        None => "it applies after the jail blocks above it, overriding their own settings, and FreeBSD 13 and 14+ order later top-level statements differently; move top-level statements above the first jail block".to_string(),
                    };
                    let finding = report
                        .finding(
                            format!(
                                "top-level `{}` comes after jail `{block_name}`",
                                crate::context::lossy(&name)
                            ),
                            span(file, tree.byte_range(node)),
                        )
                        .with_label("top-level statement after a jail block")
                        .with_secondary(span(file, block_range.clone()), "first jail block")
                        .with_secondary(also.clone(), "also set in a block")
                        .with_help(help);
                    report.push(finding);
                    break;
                }
                _ => {}
            }
        }
    }
}
