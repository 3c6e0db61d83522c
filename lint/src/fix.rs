//! Applying fixes through the lossless text: only the edited bytes change.

use std::collections::BTreeMap;

use jailconf_parser::diag::{Diagnostic, TextEdit};
use jailconf_parser::source::FileId;

/// Applies the fixes of `findings` (safe ones only unless `unsafe_too`)
/// to the files' texts. Overlapping edits are skipped (a later run picks
/// them up). Returns the new text of every changed file.
pub fn apply(
    texts: impl Fn(FileId) -> Vec<u8>,
    findings: &[Diagnostic],
    unsafe_too: bool,
) -> BTreeMap<FileId, Vec<u8>> {
    let mut by_file: BTreeMap<FileId, Vec<&TextEdit>> = BTreeMap::new();
    for fix in findings.iter().filter_map(|d| d.fix.as_ref()) {
        if !fix.safe && !unsafe_too {
            continue;
        }
        for edit in &fix.edits {
            by_file.entry(edit.span.file).or_default().push(edit);
        }
    }
    let mut out = BTreeMap::new();
    for (file, mut edits) in by_file {
        edits.sort_by_key(|e| (e.span.range.start, e.span.range.end));
        let text = texts(file);
        let mut result = Vec::with_capacity(text.len());
        let mut at = 0usize;
        for edit in edits {
            let (start, end) = (edit.span.range.start as usize, edit.span.range.end as usize);
            if start < at || end > text.len() {
                continue;
            }
            result.extend_from_slice(&text[at..start]);
            result.extend_from_slice(edit.new_text.as_bytes());
            at = end;
        }
        result.extend_from_slice(&text[at..]);
        if result != text {
            out.insert(file, result);
        }
    }
    out
}
