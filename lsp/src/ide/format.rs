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

/// One edit replacing the differing middle of `old` with that of `new`
/// (never inside a character or a CRLF; see [`jailconf_fmt::minimal_edit`]).
fn minimal_edit(file: FileId, old: &[u8], new: &[u8]) -> Option<FileEdit> {
    jailconf_fmt::minimal_edit(old, new).map(|edit| FileEdit {
        file,
        range: edit.range.start as u32..edit.range.end as u32,
        new_text: String::from_utf8_lossy(&edit.new_text).into_owned(),
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
