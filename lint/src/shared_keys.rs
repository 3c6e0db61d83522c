//! Finding the keys (addresses, interfaces, hostnames, files) that several
//! jails use.
//!
//! A large configuration has about one such key per jail and nearly all
//! are distinct. A map with a list of uses per key spends an entry, an
//! allocation and, on large files, cache misses on every jail; sorting
//! the keys' hashes (O(n log n), one compact array) touches the uses of
//! a key again only when another use shares its hash.

use std::hash::{BuildHasher, Hash};

use crate::hash::FastSet;

/// Uses collected by key; [`KeyUses::shared`] gives the keys used more
/// than once.
pub(crate) struct KeyUses<K, T> {
    uses: Vec<Option<(K, T)>>,
    /// The hash of each use's key, with the use's position.
    hashes: Vec<(u64, u32)>,
}

impl<K: Hash + Eq, T> KeyUses<K, T> {
    /// Room for `capacity` uses.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        KeyUses {
            uses: Vec::with_capacity(capacity),
            hashes: Vec::with_capacity(capacity),
        }
    }

    /// Records a use of `key`.
    pub(crate) fn push(&mut self, key: K, value: T) {
        let hash = rustc_hash::FxBuildHasher.hash_one(&key);
        self.hashes.push((hash, self.uses.len() as u32));
        self.uses.push(Some((key, value)));
    }

    /// The keys with more than one use once the uses whose `identity`
    /// (their jail) is that of an earlier use of the key are left out,
    /// each with its uses in the order they were pushed; keys in no
    /// particular order. Linear in the uses of a key, however many share
    /// it.
    pub(crate) fn shared<I: Hash + Eq>(mut self, identity: impl Fn(&T) -> I) -> Vec<(K, Vec<T>)> {
        // Equal hashes end up side by side, each run in push order.
        self.hashes.sort_unstable();
        let mut shared = Vec::new();
        let mut run_start = 0;
        while run_start < self.hashes.len() {
            let hash = self.hashes[run_start].0;
            let run_end = run_start
                + self.hashes[run_start..]
                    .iter()
                    .take_while(|(h, _)| *h == hash)
                    .count();
            if run_end - run_start > 1 {
                // One group per distinct key (several only on a collision),
                // with the identities it has.
                let mut groups: Vec<(K, Vec<T>, FastSet<I>)> = Vec::new();
                for &(_, index) in &self.hashes[run_start..run_end] {
                    let Some((key, value)) = self.uses[index as usize].take() else {
                        continue;
                    };
                    let at = match groups.iter().position(|(k, _, _)| *k == key) {
                        Some(at) => at,
                        None => {
                            groups.push((key, Vec::new(), FastSet::default()));
                            groups.len() - 1
                        }
                    };
                    let (_, values, seen) = &mut groups[at];
                    if seen.insert(identity(&value)) {
                        values.push(value);
                    }
                }
                shared.extend(
                    (groups.into_iter())
                        .filter(|(_, values, _)| values.len() > 1)
                        .map(|(key, values, _)| (key, values)),
                );
            }
            run_start = run_end;
        }
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_used_twice_keep_their_uses_in_order() {
        let mut uses = KeyUses::with_capacity(8);
        for (key, jail) in [("a", 1), ("b", 1), ("a", 2), ("c", 3), ("a", 1), ("a", 4)] {
            uses.push(key, jail);
        }
        uses.push("b", 1);
        let shared = uses.shared(|&jail| jail);
        assert_eq!(shared, [("a", vec![1, 2, 4])]);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_key() {
        // A key type whose hash ignores the key: every use collides.
        #[derive(Debug, PartialEq, Eq)]
        struct Colliding(&'static str);
        impl Hash for Colliding {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                0u8.hash(state);
            }
        }
        let mut uses = KeyUses::with_capacity(4);
        for (key, jail) in [("x", 1), ("y", 2), ("x", 3), ("z", 4)] {
            uses.push(Colliding(key), jail);
        }
        let shared = uses.shared(|&jail| jail);
        assert_eq!(shared, [(Colliding("x"), vec![1, 3])]);
    }
}
