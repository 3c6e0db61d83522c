//! Finding the keys (addresses, interfaces, hostnames, files) that several
//! jails use.
//!
//! Uses are grouped by sorting them by key hash, then key, then push
//! order: O(n log n) comparisons whatever the keys (even keys crafted to
//! collide), one compact array rather than a map entry and a vector for
//! each key (nearly every key is used once), and each jail counted once
//! per key in constant time, however many jails share it. The keys' bytes
//! are copied side by side as they are pushed, so that the sort compares
//! them in one small buffer instead of following each key into the
//! configuration (on a large one, a read from memory per comparison).

use std::borrow::Cow;
use std::hash::{BuildHasher, Hash};
use std::net::IpAddr;

use jailconf_parser::source::Span;

use crate::commands::MacAddress;
use crate::hash::{FastMap, FastSet};

/// A key as bytes: two keys are the same key when their bytes are equal.
pub(crate) trait KeyBytes {
    /// Appends the key's bytes to `out`.
    fn write_bytes(&self, out: &mut Vec<u8>);
}

impl KeyBytes for Cow<'_, str> {
    fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.as_bytes());
    }
}

impl KeyBytes for MacAddress {
    fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

impl KeyBytes for IpAddr {
    fn write_bytes(&self, out: &mut Vec<u8>) {
        // The family first: an IPv4 address and an IPv6 address never
        // share a key.
        match self {
            IpAddr::V4(v4) => {
                out.push(4);
                out.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                out.push(6);
                out.extend_from_slice(&v6.octets());
            }
        }
    }
}

/// Uses collected by key; [`KeyUses::shared`] gives the keys used more
/// than once.
pub(crate) struct KeyUses<K, T> {
    uses: Vec<Option<(K, T)>>,
    /// The bytes of every use's key, one after the other.
    bytes: Vec<u8>,
    /// Where each use's key ends in `bytes` (it starts where the previous
    /// one ends).
    ends: Vec<u32>,
    /// The hash of each use's key, with the use's position.
    hashes: Vec<(u64, u32)>,
}

impl<K: Hash + KeyBytes, T> KeyUses<K, T> {
    /// Room for `capacity` uses.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        KeyUses {
            uses: Vec::with_capacity(capacity),
            bytes: Vec::with_capacity(capacity * 16),
            ends: Vec::with_capacity(capacity),
            hashes: Vec::with_capacity(capacity),
        }
    }

    /// Records a use of `key`.
    pub(crate) fn push(&mut self, key: K, value: T) {
        let hash = rustc_hash::FxBuildHasher.hash_one(&key);
        key.write_bytes(&mut self.bytes);
        self.ends.push(self.bytes.len() as u32);
        self.hashes.push((hash, self.uses.len() as u32));
        self.uses.push(Some((key, value)));
    }

    /// The bytes of the key of the use at `index`.
    fn key(&self, index: u32) -> &[u8] {
        let index = index as usize;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.bytes[start as usize..self.ends[index] as usize]
    }

    /// The keys with more than one use once the uses whose `identity`
    /// (their jail) is that of an earlier use of the key are left out,
    /// each with its uses in the order they were pushed; keys in no
    /// particular order (see [`sort_by_second_use`]).
    pub(crate) fn shared<I: Hash + Eq>(mut self, identity: impl Fn(&T) -> I) -> Vec<(K, Vec<T>)> {
        let mut hashes = std::mem::take(&mut self.hashes);
        hashes.sort_unstable_by(|&(hash_a, a), &(hash_b, b)| {
            (hash_a.cmp(&hash_b))
                .then_with(|| self.key(a).cmp(self.key(b)))
                .then(a.cmp(&b))
        });
        let mut shared = Vec::new();
        let mut start = 0;
        while start < hashes.len() {
            // The uses of one key: side by side, in push order.
            let (hash, first) = hashes[start];
            let end = start
                + 1
                + (hashes[start + 1..].iter())
                    .take_while(|&&(h, index)| h == hash && self.key(index) == self.key(first))
                    .count();
            // Most keys used twice are used twice by one jail (an epair in
            // `vnet.interface` and in the hook creating it): those are left
            // before building the set of identities.
            let identity_of = |index: u32| {
                self.uses[index as usize]
                    .as_ref()
                    .map(|(_, value)| identity(value))
            };
            let first_identity = identity_of(first);
            let several = (hashes[start + 1..end].iter())
                .any(|&(_, index)| identity_of(index) != first_identity);
            if several {
                let mut seen = FastSet::default();
                let mut values = Vec::with_capacity(end - start);
                let mut shared_key = None;
                for &(_, index) in &hashes[start..end] {
                    if let Some((key, value)) = self.uses[index as usize].take() {
                        if seen.insert(identity(&value)) {
                            values.push(value);
                        }
                        shared_key.get_or_insert(key);
                    }
                }
                if let Some(key) = shared_key.filter(|_| values.len() > 1) {
                    shared.push((key, values));
                }
            }
            start = end;
        }
        shared
    }
}

/// Orders groups from [`KeyUses::shared`] for reporting: by where their
/// second use is (`place`), then by key.
pub(crate) fn sort_by_second_use<K: Ord, T>(
    groups: &mut [(K, Vec<T>)],
    place: impl Fn(&T) -> &Span,
) {
    groups.sort_by(|(a, u), (b, v)| {
        let (u, v) = (place(&u[1]), place(&v[1]));
        ((u.file, u.range.start), a).cmp(&((v.file, v.range.start), b))
    });
}

/// The places to report for one group of uses from [`KeyUses::shared`]
/// (first use first): every statement after the first use, once, with the
/// jails that use the key there, so that a statement many jails inherit is
/// one finding that names them. `jail` and `place` read a use's jail and
/// statement.
pub(crate) fn later_places<T>(
    uses: &[T],
    jail: impl Fn(&T) -> usize,
    place: impl Fn(&T) -> &Span,
) -> Vec<(&T, Vec<usize>)> {
    let mut jails_at: FastMap<&Span, Vec<usize>> = FastMap::default();
    for key_use in uses {
        jails_at
            .entry(place(key_use))
            .or_default()
            .push(jail(key_use));
    }
    let mut reported = FastSet::default();
    (uses.iter().skip(1))
        .filter(|key_use| reported.insert(place(key_use)))
        .map(|key_use| (key_use, jails_at[place(key_use)].clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_used_twice_keep_their_uses_in_order() {
        let mut uses = KeyUses::with_capacity(8);
        for (key, jail) in [("a", 1), ("b", 1), ("a", 2), ("c", 3), ("a", 1), ("a", 4)] {
            uses.push(Cow::Borrowed(key), jail);
        }
        uses.push(Cow::Borrowed("b"), 1);
        let shared = uses.shared(|&jail| jail);
        assert_eq!(shared, [(Cow::Borrowed("a"), vec![1, 2, 4])]);
    }

    #[test]
    fn colliding_hashes_are_told_apart_by_key() {
        // A key type whose hash ignores the key: every use collides.
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
        struct Colliding(&'static str);
        impl Hash for Colliding {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                0u8.hash(state);
            }
        }
        impl KeyBytes for Colliding {
            fn write_bytes(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(self.0.as_bytes());
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
