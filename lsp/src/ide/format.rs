//! Formatting through `jailconf-fmt`, exactly as `jailfmt` formats.

use std::ops::Range;

use jailconf_parser::source::FileId;

use super::FileEdit;
use crate::analysis::Analysis;

/// The edit that formats the whole of `file` (`None`: already
/// formatted). Only the changed middle of the text is replaced, so the
/// editor keeps the cursor and folds elsewhere.
pub fn format_file(analysis: &Analysis, file: FileId) -> Result<Option<FileEdit>, String> {
    let text = analysis.text(file);
    let formatted = jailconf_fmt::format(text, &analysis.format, analysis.target())
        .map_err(|e| e.to_string())?;
    Ok(minimal_edit(file, text, &formatted))
}

/// The edits that format the statements and blocks overlapping `range`.
pub fn format_range(
    analysis: &Analysis,
    file: FileId,
    range: Range<usize>,
) -> Result<Vec<FileEdit>, String> {
    let text = analysis.text(file);
    let edits = jailconf_fmt::format_range(text, range, &analysis.format, analysis.target())
        .map_err(|e| e.to_string())?;
    Ok(edits
        .into_iter()
        .filter_map(|edit| {
            let old = &text[edit.range.clone()];
            minimal_edit(file, old, &edit.new_text).map(|mut e| {
                let shift = edit.range.start as u32;
                e.range = e.range.start + shift..e.range.end + shift;
                e
            })
        })
        .collect())
}

/// One edit replacing the differing middle of `old` with that of `new`.
fn minimal_edit(file: FileId, old: &[u8], new: &[u8]) -> Option<FileEdit> {
    if old == new {
        return None;
    }
    let mut prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    // Keep the edit on character boundaries (both texts agree there).
    while prefix > 0 && (old.get(prefix).is_some_and(|&b| b & 0xC0 == 0x80)) {
        prefix -= 1;
    }
    // Positions cannot point between the CR and LF of a line break.
    if prefix > 0 && old[prefix - 1] == b'\r' && old.get(prefix) == Some(&b'\n') {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while suffix > 0 && old[old.len() - suffix] & 0xC0 == 0x80 {
        suffix -= 1;
    }
    let end = old.len() - suffix;
    if suffix > 0 && end > prefix && old[end - 1] == b'\r' && old[end] == b'\n' {
        suffix -= 1;
    }
    Some(FileEdit {
        file,
        range: prefix as u32..(old.len() - suffix) as u32,
        new_text: String::from_utf8_lossy(&new[prefix..new.len() - suffix]).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(old: &str, edit: &FileEdit) -> String {
        let mut out = old.to_string();
        out.replace_range(
            edit.range.start as usize..edit.range.end as usize,
            &edit.new_text,
        );
        out
    }

    #[test]
    fn minimal_edits_apply() {
        for (old, new) in [
            ("a{x;}", "a {\n    x;\n}\n"),
            ("é;", "é;\n"),
            ("x = \"é\";", "x = \"è\";"),
            ("aaa", "aa"),
            ("", "a;\n"),
            ("a;\nb;\r\n", "a;\r\nb;\r\n"),
            ("a;\r\nb;\n", "a;\nb;\n"),
        ] {
            let edit = minimal_edit(FileId(0), old.as_bytes(), new.as_bytes()).unwrap();
            assert_eq!(apply(old, &edit), new, "{old:?} -> {new:?}");
        }
        assert!(minimal_edit(FileId(0), b"same", b"same").is_none());
    }
}
