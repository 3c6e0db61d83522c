//! JC011 `overridden-assignment`: a parameter or variable is set twice in
//! one block; the first statement has no effect.

use crate::hash::FastMap;

use jailconf_parser::diag::{Fix, Severity, TextEdit};
use jailconf_parser::params;

use crate::context::{Context, StatementRef};
use crate::rule::{Category, Check, Report, Rule};

use super::statement_removal;

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC011",
    name: "overridden-assignment",
    category: Category::Correctness,
    severity: Severity::Warning,
    summary: "a parameter is set twice in one block; the first is dead",
    docs: r#"## What it does
Reports a parameter (or variable) set with `=` (or `name value;`, or
without a value) when a later statement of the same block sets it again.
Top-level statements of one file count as one block. `+=` is not
reported: it adds to the value.

## Why
jail(8) replaces the value at the second statement, so the first one
never has any effect. Usually a copy-and-paste leftover, or `+=` was
meant (for lists such as `exec.start` or `ip4.addr`).

## Example
```
web {
    exec.start = "/bin/sh /etc/rc";
    exec.start = "/usr/local/bin/app";
}
```

## Fix
Remove the first statement (the automatic fix does this; it cannot change
the result), or use `+=` in the second when both values are wanted."#,
    needs_host_facts: false,
    fixable: true,
    check: Check::Config(check),
};

/// The spellings of a name jail(8)'s `equalopts` treats as the same: the
/// name with a `no` removed from or added to the start of any component.
pub(crate) fn spellings(name: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let starts = std::iter::once(0).chain(
        name.iter()
            .enumerate()
            .filter(|(_, &b)| b == b'.')
            .map(|(i, _)| i + 1),
    );
    for start in starts {
        let mut other = name[..start].to_vec();
        if name[start..].starts_with(b"no") {
            other.extend_from_slice(&name[start + 2..]);
        } else {
            other.extend_from_slice(b"no");
            other.extend_from_slice(&name[start..]);
        }
        out.push(other);
    }
    out
}

/// One parameter slot of a block: its current spelling, the statement
/// that last touched it and the one that last replaced its value.
struct Slot<'s> {
    spelling: &'s [u8],
    last: usize,
    last_set: Option<usize>,
}

/// A statement merged into a slot that earlier statements of the same
/// block (as `key` defines blocks) already created.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Merge {
    /// The statement.
    pub current: usize,
    /// The slot's previous statement.
    pub previous: usize,
    /// The slot's previous statement without `+=`, if any.
    pub last_set: Option<usize>,
}

/// Calls `visit` with each spelling of `name` from [`spellings`], in the
/// same order, built in `buffer` (no allocation per spelling); stops at
/// the first `Some`.
fn find_spelling<T>(
    name: &[u8],
    buffer: &mut Vec<u8>,
    mut visit: impl FnMut(&[u8]) -> Option<T>,
) -> Option<T> {
    let starts = std::iter::once(0).chain(
        name.iter()
            .enumerate()
            .filter(|(_, &b)| b == b'.')
            .map(|(i, _)| i + 1),
    );
    for start in starts {
        buffer.clear();
        buffer.extend_from_slice(&name[..start]);
        if name[start..].starts_with(b"no") {
            buffer.extend_from_slice(&name[start + 2..]);
        } else {
            buffer.extend_from_slice(b"no");
            buffer.extend_from_slice(&name[start..]);
        }
        if let Some(found) = visit(buffer) {
            return Some(found);
        }
    }
    None
}

/// The slots of one block by current spelling: a short list while the
/// block is small (most jail blocks), a map beyond.
enum Names<'s> {
    Small(Vec<Slot<'s>>),
    Large(FastMap<&'s [u8], Slot<'s>>),
}

impl<'s> Names<'s> {
    /// Entries a block holds before it switches to a map.
    const SMALL: usize = 32;

    /// Removes and returns the slot whose current spelling is `name`.
    fn take(&mut self, name: &[u8]) -> Option<Slot<'s>> {
        match self {
            Names::Small(list) => {
                let at = list.iter().position(|slot| slot.spelling == name)?;
                Some(list.swap_remove(at))
            }
            Names::Large(map) => map.remove(name),
        }
    }

    /// Adds `slot` under its spelling (no slot has that spelling).
    fn put(&mut self, slot: Slot<'s>) {
        match self {
            Names::Small(list) if list.len() < Self::SMALL => list.push(slot),
            Names::Small(list) => {
                let mut map: FastMap<&'s [u8], Slot<'s>> =
                    list.drain(..).map(|slot| (slot.spelling, slot)).collect();
                map.insert(slot.spelling, slot);
                *self = Names::Large(map);
            }
            Names::Large(map) => {
                map.insert(slot.spelling, slot);
            }
        }
    }
}

/// Follows jail(8)'s merging of statements with `equalopts` names (the
/// entry keeps the newest spelling) within each block, and calls `visit`
/// for every statement that lands in an existing slot.
///
/// `done(block, statement)` tells that no statement from `statement` on
/// belongs to `block`: the block's slots are then dropped instead of kept
/// (a large configuration would otherwise keep every block's slots to
/// the end); answering `false` is always correct.
pub(crate) fn merges<'s, K: std::hash::Hash + Eq + Copy>(
    statements: &'s [StatementRef<'_>],
    key: impl Fn(&StatementRef<'_>) -> K,
    done: impl Fn(&K, &StatementRef<'_>) -> bool,
    mut visit: impl FnMut(Merge),
) {
    // The block of the statements being read (and variables apart), with
    // its slots; the other blocks that may still get statements.
    let mut current: Option<((K, bool), Names<'s>)> = None;
    let mut waiting: FastMap<(K, bool), Names<'s>> = FastMap::default();
    // Slot lists of finished blocks, for reuse.
    let mut spare: Vec<Vec<Slot<'s>>> = Vec::new();
    let mut buffer = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let block = (key(statement), statement.is_var);
        if current.as_ref().is_some_and(|(open, _)| *open != block) {
            if let Some((left, names)) = current.take() {
                if done(&left.0, statement) {
                    // The block is read: its variables' or parameters'
                    // slots, left waiting when the other kind came, too.
                    let other = waiting.remove(&(left.0, !left.1));
                    for names in [Some(names), other].into_iter().flatten() {
                        if let Names::Small(mut list) = names {
                            list.clear();
                            spare.push(list);
                        }
                    }
                } else {
                    waiting.insert(left, names);
                }
            }
        }
        let (_, names) = current.get_or_insert_with(|| {
            let names = waiting
                .remove(&block)
                .unwrap_or_else(|| Names::Small(spare.pop().unwrap_or_default()));
            (block, names)
        });
        let name = &statement.name[..];
        let found = names
            .take(name)
            .or_else(|| find_spelling(name, &mut buffer, |other| names.take(other)));
        let set = (!statement.append).then_some(index);
        let slot = match found {
            Some(slot) => {
                visit(Merge {
                    current: index,
                    previous: slot.last,
                    last_set: slot.last_set,
                });
                Slot {
                    spelling: name,
                    last: index,
                    last_set: set.or(slot.last_set),
                }
            }
            None => Slot {
                spelling: name,
                last: index,
                last_set: set,
            },
        };
        names.put(slot);
    }
}

fn check(context: &Context<'_>, report: &mut Report<'_>) {
    let statements = context.statements();
    for merge in context.block_merges() {
        let Some(earlier) = merge.last_set else {
            continue;
        };
        let (first, second) = (&statements[earlier], &statements[merge.current]);
        // Both spellings of a boolean are JC012's; `name`/`jid` are
        // JC007's; `.include` is an include on 14+, a plain name on 13.
        if second.append
            || first.name != second.name
            || matches!(&first.name[..], b"name" | b"jid")
            || first.name.starts_with(b".include")
        {
            continue;
        }
        let name = first.name_str();
        let (shown, is_list) = if first.is_var {
            (format!("${name}"), false)
        } else {
            let is_list = params::lookup(&name).is_some_and(|p| p.is_list());
            (name.to_string(), is_list)
        };
        let help = if is_list {
            format!("remove it, or write the later statement with `+=` to keep both values of `{shown}`")
        } else {
            format!("remove it; `{shown}` keeps only the later value")
        };
        let place = if first.block.is_some() {
            "in this block"
        } else {
            "at top level"
        };
        let mut finding = report
            .finding(
                format!("`{shown}` is set again later {place}; this statement has no effect"),
                first.span(),
            )
            .with_label("overridden")
            .with_secondary(second.span(), "replaced here")
            .with_help(help);
        finding.fix = Some(Fix {
            title: "remove the overridden statement".to_string(),
            safe: true,
            edits: vec![TextEdit {
                span: statement_removal(context, &first.span()),
                new_text: String::new(),
            }],
        });
        report.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_follow_equal_opts() {
        let all = |name: &str| -> Vec<String> {
            spellings(name.as_bytes())
                .into_iter()
                .map(|s| String::from_utf8(s).unwrap())
                .collect()
        };
        assert_eq!(all("persist"), ["nopersist"]);
        assert_eq!(all("nopersist"), ["persist"]);
        assert_eq!(all("allow.mount"), ["noallow.mount", "allow.nomount"]);
        for name in ["allow.mount.devfs", "nono", "a.b"] {
            for other in spellings(name.as_bytes()) {
                assert!(jailconf_parser::model::equal_opts(name.as_bytes(), &other));
            }
        }
    }
}
