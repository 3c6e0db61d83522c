//! Unified diffs of file changes.

use similar::TextDiff;

/// A unified diff between two versions of a file (lossy for non-UTF-8).
pub fn unified(name: &str, before: &[u8], after: &[u8]) -> String {
    let before = String::from_utf8_lossy(before);
    let after = String::from_utf8_lossy(after);
    TextDiff::from_lines(before.as_ref(), after.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}
