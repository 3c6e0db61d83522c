//! JC019 `dependency-cycle`: jails that depend on each other (through
//! `depend` and the implied dependency of `a.b` on `a`).

use std::collections::VecDeque;

use jailconf_parser::diag::Severity;
use jailconf_parser::source::{FileId, Span};

use crate::context::{Context, JailRef};
use crate::hash::FastMap;
use crate::rule::{jail_check, Category, Check, JailCheck, Report, Rule};

/// The rule.
pub static RULE: Rule = Rule {
    code: "JC019",
    name: "dependency-cycle",
    category: Category::Correctness,
    severity: Severity::Error,
    summary: "jails depend on each other in a cycle",
    docs: r#"## What it does
Follows `depend` and the dependency jail(8) adds of a hierarchical jail
`a.b` on its parent `a`, and reports every cycle once, naming the jails
in order. A `depend` in the global section or a `*` block also applies
to the jail it names, which then depends on itself.

## Why
jail(8) cannot order the jails of a cycle: it reports `dependency loop`
and starts none of them.

## Example
```
web { persist; depend = db; }
db { persist; depend = web; }
```

## Fix
Remove one of the dependencies; `depend` only orders creation and
removal, so keep the one the start order really needs."#,
    needs_host_facts: false,
    fixable: false,
    check: Check::Jails(check),
};

/// Jails by name within each configuration run (each top-level file is
/// read by its own jail(8) run).
pub(crate) struct JailIndex<'c> {
    by_name: FastMap<(FileId, &'c [u8]), usize>,
    roots: Vec<FileId>,
}

impl<'c> JailIndex<'c> {
    /// Indexes the jails of a context (the first of duplicates wins).
    pub(crate) fn new(context: &'c Context<'_>) -> Self {
        let roots: Vec<FileId> = context
            .jails()
            .iter()
            .map(|j| {
                let file = j.span().map_or(FileId(0), |s| s.file);
                context.file_place(file).root
            })
            .collect();
        let mut by_name =
            FastMap::with_capacity_and_hasher(context.config.jails.len(), Default::default());
        for (index, (jail, &root)) in context.config.jails.iter().zip(&roots).enumerate() {
            by_name.entry((root, jail.name.as_slice())).or_insert(index);
        }
        JailIndex { by_name, roots }
    }

    /// The jail named `name` in the same run as `from`.
    pub(crate) fn find(&self, from: &JailRef<'_>, name: &[u8]) -> Option<usize> {
        self.by_name.get(&(self.roots[from.index], name)).copied()
    }
}

/// One `depend` value of a jail.
pub(crate) struct Dependency<'a> {
    /// The jail name it names.
    pub name: &'a [u8],
    /// Where it is written.
    pub span: &'a Span,
}

/// The `depend` values of a jail, without those left over from a failed
/// variable expansion (JC003–JC005 report those).
pub(crate) fn dependencies<'a>(context: &Context<'_>, jail: &JailRef<'a>) -> Vec<Dependency<'a>> {
    jail.values("depend")
        .iter()
        .filter_map(|value| {
            let span = value.span.as_ref()?;
            let text = context.config.sources.get(span.file).text();
            let expanded = text
                .get(span.range.start as usize..span.range.end as usize)
                .is_some_and(|source| source.contains(&b'$'));
            (!(jail.jail.failed && expanded)).then_some(Dependency {
                name: &value.text,
                span,
            })
        })
        .collect()
}

/// Why one jail depends on another.
#[derive(Clone, Copy)]
enum Edge<'a> {
    /// A `depend` value.
    Depend(&'a Span),
    /// `a.b` on its parent `a`.
    Parent,
}

/// The strongly connected components of the dependency graph with a
/// cycle (more than one jail, or a jail depending on itself), found with
/// an iterative Tarjan walk.
fn cyclic_components(edges: &[Vec<(usize, Edge<'_>)>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0;
    let mut out = Vec::new();
    for root in 0..n {
        // A jail that depends on none is in no cycle (it is walked when
        // one that depends on it is).
        if order[root] != UNSEEN || edges[root].is_empty() {
            continue;
        }
        // (node, next edge to follow)
        let mut walk = vec![(root, 0usize)];
        order[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut edge)) = walk.last_mut() {
            if let Some(&(target, _)) = edges[node].get(*edge) {
                *edge += 1;
                if order[target] == UNSEEN {
                    order[target] = next;
                    low[target] = next;
                    next += 1;
                    stack.push(target);
                    on_stack[target] = true;
                    walk.push((target, 0));
                } else if on_stack[target] {
                    low[node] = low[node].min(order[target]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                let cyclic = component.len() > 1 || edges[node].iter().any(|(t, _)| *t == node);
                if cyclic {
                    component.sort_unstable();
                    out.push(component);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// A shortest cycle through `start` inside its component: the edges in
/// order, as (from, to, why).
fn cycle_through<'a>(
    edges: &[Vec<(usize, Edge<'a>)>],
    component: &[usize],
    start: usize,
) -> Vec<(usize, usize, Edge<'a>)> {
    let inside = |j: usize| component.binary_search(&j).is_ok();
    let mut came_from: FastMap<usize, (usize, Edge<'a>)> = FastMap::default();
    let mut queue = VecDeque::from([start]);
    let mut closing = None;
    'search: while let Some(node) = queue.pop_front() {
        for &(target, why) in &edges[node] {
            if target == start {
                closing = Some((node, why));
                break 'search;
            }
            if inside(target) && !came_from.contains_key(&target) {
                came_from.insert(target, (node, why));
                queue.push_back(target);
            }
        }
    }
    let Some((last, why)) = closing else {
        return Vec::new();
    };
    let mut path = vec![(last, start, why)];
    let mut node = last;
    while node != start {
        let (from, why) = came_from[&node];
        path.push((from, node, why));
        node = from;
    }
    path.reverse();
    path
}

/// How many jails of a long cycle are named (and labelled).
const SHOWN: usize = 6;

fn check<'c, 'a>(context: &'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    // Built at the first jail with a `depend` or a parent: most hosts
    // have neither, and then no cycle.
    let index: Option<JailIndex> = None;
    let edges: Vec<Vec<(usize, Edge<'a>)>> = vec![Vec::new(); context.jails().len()];
    jail_check(
        (index, edges),
        move |(index, edges), jail, _| {
            let dependencies = dependencies(context, jail);
            let name = &jail.jail.name;
            let dot = name.iter().rposition(|&b| b == b'.');
            if dependencies.is_empty() && dot.is_none() {
                return;
            }
            let index = index.get_or_insert_with(|| JailIndex::new(context));
            for dependency in dependencies {
                if let Some(target) = index.find(jail, dependency.name) {
                    edges[jail.index].push((target, Edge::Depend(dependency.span)));
                }
            }
            if let Some(dot) = dot {
                if let Some(parent) = index.find(jail, &name[..dot]) {
                    edges[jail.index].push((parent, Edge::Parent));
                }
            }
        },
        move |(index, edges), report| {
            if index.is_some() {
                report_cycles(context, &edges, report);
            }
        },
    )
}

/// Reports each cycle of the dependency graph `edges` once.
fn report_cycles(context: &Context<'_>, edges: &[Vec<(usize, Edge<'_>)>], report: &mut Report<'_>) {
    let jails = context.jails();
    for component in cyclic_components(edges) {
        let start = component[0];
        let cycle = cycle_through(edges, &component, start);
        let Some(&(first_from, first_to, first_why)) = cycle.first() else {
            continue;
        };
        let name = |j: usize| jails[j].name();
        let mut names: Vec<String> = cycle
            .iter()
            .map(|(from, _, _)| format!("`{}`", name(*from)))
            .collect();
        names.push(format!("`{}`", name(start)));
        // A long cycle is shown as `a` → … → `z` → `a` (N jails).
        let mut count = String::new();
        if names.len() > SHOWN + 2 {
            count = format!(" ({} jails)", cycle.len());
            let tail = names.split_off(names.len() - 2);
            names.truncate(SHOWN);
            names.push("…".to_string());
            names.extend(tail);
        }
        let place = |from: usize, to: usize, why: Edge<'_>| -> Option<(Span, String)> {
            match why {
                Edge::Depend(span) => Some((
                    span.clone(),
                    format!("`{}` depends on `{}`", name(from), name(to)),
                )),
                Edge::Parent => jails[from]
                    .span()
                    .map(|span| (span, format!("`{}` is inside `{}`", name(from), name(to)))),
            }
        };
        let Some((span, label)) = place(first_from, first_to, first_why) else {
            continue;
        };
        let mut finding = report
            .finding(
                format!("dependency cycle: {}{count}", names.join(" → ")),
                span,
            )
            .with_label(label)
            .with_help("jail(8) starts none of these jails; remove one of the dependencies")
            .with_jail_message(format!("{}: dependency loop", name(start)));
        for &(from, to, why) in cycle.iter().skip(1).take(SHOWN) {
            if let Some((span, label)) = place(from, to, why) {
                finding = finding.with_secondary(span, label);
            }
        }
        report.push(finding);
    }
}
