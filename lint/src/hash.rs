//! Fast, non-cryptographic hash maps for the linter's internal tables (keys
//! are names, spans and node ids from the configuration; nothing gains from
//! making them collide).

/// A `HashMap` with the Fx hash (as used by rustc).
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// A `HashSet` with the Fx hash (as used by rustc).
pub type FastSet<T> = rustc_hash::FxHashSet<T>;
