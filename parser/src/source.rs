//! Source files: their names, texts, parse trees and line indexes.
//!
//! A configuration is read from one top-level file plus everything it
//! includes. [`Sources`] holds them all, so diagnostics and model values can
//! point into any of them with a [`Span`].

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::lexer::{splat, zero_bytes};
use crate::parser::Parse;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct FileId(pub u32);

/// A byte range in one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    /// The file.
    pub file: FileId,
    /// Byte offsets in that file.
    pub range: Range<u32>,
}

impl Span {
    /// A span in `file` covering `range`.
    pub fn new(file: FileId, range: Range<u32>) -> Self {
        Span { file, range }
    }
}

/// A 1-based line and column; the column counts bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    /// Line number, from 1.
    pub line: u32,
    /// Column in bytes, from 1.
    pub column: u32,
}

/// Offsets of line starts, for converting byte offsets to lines.
///
/// The index of a file in [`Sources`] is built on first use: loading a
/// configuration that reports nothing never needs it.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    /// The text to index on first use (`None`: the empty text).
    text: Option<Arc<Vec<u8>>>,
    starts: OnceLock<Vec<u32>>,
}

impl LineIndex {
    /// Indexes `text` (lines end at `\n`; a CR before it is part of the line).
    pub fn new(text: &[u8]) -> Self {
        LineIndex {
            text: None,
            starts: OnceLock::from(line_starts(text)),
        }
    }

    /// An index of `text` built on first use.
    fn lazy(text: Arc<Vec<u8>>) -> Self {
        LineIndex {
            text: Some(text),
            starts: OnceLock::new(),
        }
    }

    fn starts(&self) -> &[u32] {
        self.starts
            .get_or_init(|| line_starts(self.text.as_deref().map_or(&[], |text| text)))
    }

    /// Line and byte column of `offset`.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let starts = self.starts();
        let line = starts.partition_point(|&s| s <= offset).max(1) - 1;
        LineCol {
            line: line as u32 + 1,
            column: offset - starts[line] + 1,
        }
    }

    /// Byte offset where the 0-based `line` starts, if it exists.
    pub fn line_start(&self, line: usize) -> Option<u32> {
        self.starts().get(line).copied()
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.starts().len()
    }
}

/// The offsets where the lines of `text` start.
fn line_starts(text: &[u8]) -> Vec<u32> {
    // Lines of configuration files are rarely shorter than this.
    let mut starts = Vec::with_capacity(text.len() / 24 + 1);
    starts.push(0);
    // Eight bytes at a time: the high bit of each byte of `newlines` is
    // set exactly where the byte is a newline.
    let mut words = text.chunks_exact(8);
    for (index, word) in words.by_ref().enumerate() {
        let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let mut newlines = zero_bytes(word ^ splat(b'\n'));
        while newlines != 0 {
            let offset = index * 8 + newlines.trailing_zeros() as usize / 8;
            starts.push(offset as u32 + 1);
            newlines &= newlines - 1;
        }
    }
    let tail = text.len() - words.remainder().len();
    starts.extend(
        words
            .remainder()
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| (tail + i) as u32 + 1),
    );
    starts
}

/// One file of a configuration.
#[derive(Debug)]
pub struct SourceFile {
    /// The file's name as jail(8) names it in messages: the `-f` argument,
    /// the resolved include path, or `STDIN`.
    pub name: String,
    /// The path the file was read from (for standard input: `-`).
    pub path: PathBuf,
    /// The parse of the file (which holds its text).
    pub parse: Parse,
    /// Line starts (indexed on first use).
    pub lines: LineIndex,
}

impl SourceFile {
    /// The file's bytes.
    pub fn text(&self) -> &[u8] {
        self.parse.tree.text()
    }
}

/// All files read for one configuration.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// An empty set.
    pub fn new() -> Self {
        Sources::default()
    }

    /// Adds a parsed file and returns its id.
    pub fn add(&mut self, name: String, path: PathBuf, parse: Parse) -> FileId {
        let lines = LineIndex::lazy(Arc::clone(&parse.tree.text));
        self.files.push(SourceFile {
            name,
            path,
            parse,
            lines,
        });
        FileId(self.files.len() as u32 - 1)
    }

    /// A file by id.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files with their ids, in the order they were read.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file was read.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Line and column of the start of a span.
    pub fn line_col(&self, span: &Span) -> LineCol {
        self.get(span.file).lines.line_col(span.range.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_columns() {
        let index = LineIndex::new(b"ab\r\ncd\n\nx");
        assert_eq!(index.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(3), LineCol { line: 1, column: 4 });
        assert_eq!(index.line_col(4), LineCol { line: 2, column: 1 });
        assert_eq!(index.line_col(7), LineCol { line: 3, column: 1 });
        assert_eq!(index.line_col(8), LineCol { line: 4, column: 1 });
        assert_eq!(index.line_col(9), LineCol { line: 4, column: 2 });
        assert_eq!(index.line_count(), 4);
    }

    #[test]
    fn line_starts_match_a_byte_loop() {
        // Newlines at every position of an eight-byte word, next to bytes
        // that differ from `\n` in one bit (`\x0b`, `\x8a`) and to NULs.
        let text: Vec<u8> = (0..200u32)
            .map(|i| match i % 7 {
                0 => b'\n',
                1 => 0x0b,
                2 => 0x8a,
                3 => 0,
                _ => b'x',
            })
            .collect();
        for len in 0..text.len() {
            let text = &text[..len];
            let expected: Vec<u32> = std::iter::once(0)
                .chain((0..len).filter(|&i| text[i] == b'\n').map(|i| i as u32 + 1))
                .collect();
            assert_eq!(LineIndex::new(text).starts(), expected);
            let lazy = LineIndex::lazy(Arc::new(text.to_vec()));
            assert_eq!(lazy.starts(), expected);
        }
    }
}
