//! Ordering jails: `depend` and the hierarchy (`a.b` after `a`) give a
//! graph; jails run in topological order, and jails with no path between
//! them form parallel batches.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;

/// A dependency cycle: jail(8) would fail every jail on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleError {
    /// The jails on the cycle, starting and ending with the same one.
    pub cycle: Vec<String>,
}

impl fmt::Display for CycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dependency cycle: {}", self.cycle.join(" -> "))
    }
}

impl std::error::Error for CycleError {}

/// A graph over jails `0..n`: `after[i]` lists the nodes `i` must come
/// after.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    /// The jails' names, for messages.
    pub names: Vec<String>,
    /// Per node, the nodes it must come after (no duplicates needed).
    pub after: Vec<Vec<usize>>,
}

impl Graph {
    /// The graph of configured jails: each comes after the jails its
    /// `depend` names (unknown names are jail(8)'s and lint's business)
    /// and after its nearest configured ancestor (`a` for `a.b.c` when
    /// `a.b` is not configured).
    pub fn of_jails<'a>(jails: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Graph {
        let jails: Vec<(&str, &[String])> = jails.into_iter().collect();
        let index: HashMap<&str, usize> = jails
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, i))
            .collect();
        let after = jails
            .iter()
            .map(|(name, depend)| {
                let mut after: Vec<usize> = depend
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .collect();
                let mut ancestor = *name;
                while let Some((parent, _)) = ancestor.rsplit_once('.') {
                    if let Some(&i) = index.get(parent) {
                        after.push(i);
                        break;
                    }
                    ancestor = parent;
                }
                after
            })
            .collect();
        Graph {
            names: jails.iter().map(|(name, _)| name.to_string()).collect(),
            after,
        }
    }

    /// The nodes in an order where each comes after everything it must
    /// follow; among free nodes, the lowest index (configuration order)
    /// first.
    pub fn topological(&self) -> Result<Vec<usize>, CycleError> {
        let n = self.after.len();
        let mut waiting = vec![0usize; n];
        let mut before: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (node, after) in self.after.iter().enumerate() {
            for &first in after {
                if first < n && first != node {
                    waiting[node] += 1;
                    before[first].push(node);
                } else if first == node {
                    return Err(CycleError {
                        cycle: vec![self.name(node), self.name(node)],
                    });
                }
            }
        }
        let mut free: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| waiting[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(node)) = free.pop() {
            order.push(node);
            for &next in &before[node] {
                waiting[next] -= 1;
                if waiting[next] == 0 {
                    free.push(Reverse(next));
                }
            }
        }
        if order.len() < n {
            return Err(self.find_cycle(&waiting));
        }
        Ok(order)
    }

    fn name(&self, node: usize) -> String {
        self.names
            .get(node)
            .cloned()
            .unwrap_or_else(|| node.to_string())
    }

    /// A cycle among the nodes still waiting after a topological sort.
    fn find_cycle(&self, waiting: &[usize]) -> CycleError {
        let n = self.after.len();
        let stuck = |i: usize| i < n && waiting[i] > 0;
        let start = (0..n).find(|&i| stuck(i)).unwrap_or(0);
        // Every stuck node waits for a stuck node: walking back from one
        // must revisit a node.
        let mut seen = vec![None; n];
        let mut path = Vec::new();
        let mut node = start;
        loop {
            if let Some(at) = seen[node] {
                // `a -> b`: a depends on (comes after) b.
                let mut cycle: Vec<String> = path[at..].iter().map(|&i| self.name(i)).collect();
                cycle.push(cycle[0].clone());
                return CycleError { cycle };
            }
            seen[node] = Some(path.len());
            path.push(node);
            match self.after[node].iter().copied().find(|&i| stuck(i)) {
                Some(next) => node = next,
                None => {
                    return CycleError {
                        cycle: vec![self.name(node)],
                    }
                }
            }
        }
    }

    /// Batch numbers for the nodes that `execute`, given a topological
    /// `order`: a node runs one batch after the latest executing node it
    /// must follow, directly or through nodes that do not execute; nodes
    /// that do not execute get `None`.
    pub fn batches(&self, order: &[usize], execute: &[bool]) -> Vec<Option<usize>> {
        let n = self.after.len();
        // The first batch a node (or what follows it) may run in.
        let mut ready = vec![0usize; n];
        let mut batch = vec![None; n];
        for &node in order {
            let earliest = self.after[node]
                .iter()
                .filter(|&&first| first < n)
                .map(|&first| match batch[first] {
                    Some(b) => b + 1,
                    None => ready[first],
                })
                .max()
                .unwrap_or(0);
            ready[node] = earliest;
            if execute.get(node).copied().unwrap_or(false) {
                batch[node] = Some(earliest);
            }
        }
        batch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(jails: &[(&str, &[&str])]) -> Graph {
        let owned: Vec<(String, Vec<String>)> = jails
            .iter()
            .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect();
        Graph::of_jails(owned.iter().map(|(n, d)| (n.as_str(), d.as_slice())))
    }

    #[test]
    fn depend_and_hierarchy() {
        let g = graph(&[("web", &["db"]), ("db", &[]), ("a.b.c", &[]), ("a", &[])]);
        assert_eq!(g.after, [vec![1], vec![], vec![3], vec![]]);
        assert_eq!(g.topological().unwrap(), [1, 0, 3, 2]);
        let batches = g.batches(&[1, 0, 3, 2], &[true, true, true, true]);
        assert_eq!(batches, [Some(1), Some(0), Some(1), Some(0)]);
        // db does not execute: web may run at once.
        assert_eq!(
            g.batches(&[1, 0, 3, 2], &[true, false, false, true]),
            [Some(0), None, None, Some(0)]
        );
    }

    #[test]
    fn through_idle_nodes() {
        let g = graph(&[("c", &[]), ("b", &["c"]), ("a", &["b"])]);
        let order = g.topological().unwrap();
        assert_eq!(
            g.batches(&order, &[true, false, true]),
            [Some(0), None, Some(1)]
        );
    }

    #[test]
    fn cycles() {
        let g = graph(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
        let error = g.topological().unwrap_err();
        assert_eq!(error.to_string(), "dependency cycle: a -> b -> c -> a");
        let g = graph(&[("a", &["a"])]);
        assert_eq!(g.topological().unwrap_err().cycle, ["a", "a"]);
    }
}
