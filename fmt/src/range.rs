//! Range formatting: which entries a byte range selects, and the edit that
//! replaces their source with their formatted text.

use std::ops::Range;

use crate::printer::Record;
use crate::TextEdit;

/// Whether `src` overlaps `[start, end)`; an empty range is a point that
/// touches an entry at either end.
fn overlaps(src: &Range<usize>, start: usize, end: usize) -> bool {
    if start == end {
        src.start <= start && start <= src.end
    } else {
        start < src.end && src.start < end
    }
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// The entries selected at one level: indices into the records.
struct Selection {
    /// The level's entries, in order.
    siblings: Vec<usize>,
    /// First and last selected position in `siblings`.
    first: usize,
    last: usize,
    /// The enclosing block's record.
    parent: Option<usize>,
}

fn siblings(records: &[Record], parent: Option<usize>) -> Vec<usize> {
    (0..records.len())
        .filter(|&i| records[i].parent == parent)
        .collect()
}

/// The overlapping entries of the deepest level that contains the range.
fn select(records: &[Record], start: usize, end: usize) -> Option<Selection> {
    let mut parent = None;
    let mut selection: Option<Selection> = None;
    loop {
        let siblings = siblings(records, parent);
        let hits: Vec<usize> = (0..siblings.len())
            .filter(|&p| overlaps(&records[siblings[p]].src, start, end))
            .collect();
        let (Some(&first), Some(&last)) = (hits.first(), hits.last()) else {
            // Nothing at this level (e.g. only blank lines inside a block's
            // body): the block itself, if we came down into one.
            return selection;
        };
        let descend = (first == last).then(|| siblings[first]).filter(|&i| {
            records[i]
                .body
                .as_ref()
                .is_some_and(|body| body.start <= start && end <= body.end)
        });
        selection = Some(Selection {
            siblings,
            first,
            last,
            parent,
        });
        match descend {
            Some(block) => parent = Some(block),
            None => return selection,
        }
    }
}

/// The one edit (if any) that formats the entries overlapping `range`.
pub(crate) fn edits(
    text: &[u8],
    out: &[u8],
    records: &[Record],
    range: Range<usize>,
    newline: &[u8],
) -> Vec<TextEdit> {
    let start = range.start.min(text.len());
    let end = range.end.clamp(start, text.len());
    let Some(mut selection) = select(records, start, end) else {
        return Vec::new();
    };
    let (src, dst) = loop {
        let Selection {
            siblings,
            first,
            last,
            parent,
        } = &mut selection;
        // Take in the entries that share a line with the selected ones.
        while *first > 0 {
            let before = &records[siblings[*first - 1]].src;
            let here = &records[siblings[*first]].src;
            if text[before.end..here.start].contains(&b'\n') {
                break;
            }
            *first -= 1;
        }
        while *last + 1 < siblings.len() {
            let here = &records[siblings[*last]].src;
            let after = &records[siblings[*last + 1]].src;
            if text[here.end..after.start].contains(&b'\n') {
                break;
            }
            *last += 1;
        }
        let head = &records[siblings[*first]];
        let tail = &records[siblings[*last]];
        let line_start = text[..head.src.start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line_end = text[tail.src.end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| tail.src.end + i);
        if is_blank(&text[line_start..head.src.start]) && is_blank(&text[tail.src.end..line_end]) {
            let top = parent.is_none();
            let src_start = if top && *first == 0 { 0 } else { line_start };
            let out_start = if top && *first == 0 {
                0
            } else {
                head.out.start
            };
            let (src_end, out_end) = if top && *last + 1 == siblings.len() {
                (text.len(), out.len())
            } else {
                // Up to the line ending, trailing blanks included.
                let mut src_end = line_end;
                if newline.len() == 2 && line_end < text.len() && text[..line_end].ends_with(b"\r")
                {
                    src_end -= 1;
                }
                (src_end, tail.out.end)
            };
            break (src_start..src_end, out_start..out_end);
        }
        match *parent {
            // The selection shares a line with its block's braces: take the
            // whole block, one level up.
            Some(block) => {
                let up = records[block].parent;
                let siblings = self::siblings(records, up);
                let at = siblings
                    .iter()
                    .position(|&i| i == block)
                    .expect("a block is among its parent's entries");
                selection = Selection {
                    siblings,
                    first: at,
                    last: at,
                    parent: up,
                };
            }
            None => break (0..text.len(), 0..out.len()),
        }
    };
    minimal_edit(&text[src.clone()], &out[dst])
        .map(|edit| TextEdit {
            range: src.start + edit.range.start..src.start + edit.range.end,
            new_text: edit.new_text,
        })
        .into_iter()
        .collect()
}

/// The one edit that turns `old` into `new`: their differing middle, with
/// the common start and end left out. Ranges are relative to `old` and
/// never split a UTF-8 character or a CRLF line break (editors cannot
/// address positions inside either). `None` when the texts are equal.
pub fn minimal_edit(old: &[u8], new: &[u8]) -> Option<TextEdit> {
    if old == new {
        return None;
    }
    let mut prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    while prefix > 0 && prefix < old.len() && is_continuation(old[prefix]) {
        prefix -= 1;
    }
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
    while suffix > 0 && is_continuation(old[old.len() - suffix]) {
        suffix -= 1;
    }
    let end = old.len() - suffix;
    if suffix > 0 && end > prefix && old[end - 1] == b'\r' && old[end] == b'\n' {
        suffix -= 1;
    }
    Some(TextEdit {
        range: prefix..old.len() - suffix,
        new_text: new[prefix..new.len() - suffix].to_vec(),
    })
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_edit_keeps_characters_whole() {
        // Same first byte (é, ä) and same last byte (é, ©) of different
        // characters: the edit covers them whole.
        let edit = minimal_edit("\"é\"".as_bytes(), "\"©\"".as_bytes()).unwrap();
        assert_eq!(edit.range, 1..3);
        assert_eq!(edit.new_text, "©".as_bytes());
        let edit = minimal_edit("xé".as_bytes(), "xä".as_bytes()).unwrap();
        assert_eq!(edit.range, 1..3);
        assert_eq!(minimal_edit(b"same", b"same"), None);
        let edit = minimal_edit(b"ab", b"aXb").unwrap();
        assert_eq!((edit.range, edit.new_text), (1..1, b"X".to_vec()));
    }
}
