//! Conversions between the server's own types (byte offsets, spans, paths,
//! analysis results) and the protocol's (`lsp-types`).
//!
//! This module and the protocol glue (`server`, `dispatch`, `handlers`)
//! are the only ones that touch `lsp-types`; the analysis (`index`,
//! `analysis`, `ide`) works on bytes and spans.
//!
//! Positions follow the negotiated encoding: UTF-8 columns count bytes,
//! UTF-16 columns count UTF-16 code units. Lines end at `\n`, `\r\n` or a
//! lone `\r`, as the protocol defines them.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use jailconf_parser::diag::{Diagnostic, Severity};
use lsp_types as lsp;
use lsp_types::Url;

use crate::ide;

/// How columns are counted, as negotiated with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionEncoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units (the protocol's default).
    Utf16,
}

impl PositionEncoding {
    /// Picks UTF-8 when the client offers it (no conversion needed), else
    /// UTF-16, which every client supports.
    pub fn negotiate(offered: Option<&[lsp::PositionEncodingKind]>) -> Self {
        match offered {
            Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => {
                PositionEncoding::Utf8
            }
            _ => PositionEncoding::Utf16,
        }
    }

    /// The protocol's name for it.
    pub fn kind(self) -> lsp::PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }
    }
}

/// Line starts of a text, for converting between byte offsets and
/// protocol positions.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    /// Indexes `text`; lines end at `\n`, `\r\n` or `\r`.
    pub fn new(text: &[u8]) -> Self {
        let mut starts = vec![0];
        let mut i = 0;
        while i < text.len() {
            // Eight bytes without a line ending at a time.
            if let Some(chunk) = text.get(i..i + 8) {
                let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
                if !has_byte(word, b'\n') && !has_byte(word, b'\r') {
                    i += 8;
                    continue;
                }
            }
            match text[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' if text.get(i + 1) == Some(&b'\n') => {
                    i += 1;
                    starts.push(i as u32 + 1);
                }
                b'\r' => starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// Byte range of line `line`'s content (without its line ending).
    fn line_content(&self, text: &[u8], line: usize) -> Range<usize> {
        let start = self.starts[line] as usize;
        let mut end = self
            .starts
            .get(line + 1)
            .map_or(text.len(), |&s| s as usize);
        if end > start && text[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && text[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    /// The position of byte `offset` (clamped to the text).
    pub fn position(
        &self,
        text: &[u8],
        offset: usize,
        encoding: PositionEncoding,
    ) -> lsp::Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s as usize <= offset) - 1;
        let content = self.line_content(text, line);
        let upto = offset.min(content.end);
        let before = &text[content.start..upto];
        let character = match encoding {
            PositionEncoding::Utf8 => before.len(),
            PositionEncoding::Utf16 => utf16_len(before),
        };
        lsp::Position::new(line as u32, character as u32)
    }

    /// The byte offset of `position`; a column past the end of its line
    /// means the line's end, a line past the end the end of the text.
    pub fn offset(
        &self,
        text: &[u8],
        position: lsp::Position,
        encoding: PositionEncoding,
    ) -> usize {
        let line = position.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let content = self.line_content(text, line);
        let line_text = &text[content.clone()];
        let column = position.character as usize;
        let within = match encoding {
            PositionEncoding::Utf8 => floor_char_boundary(line_text, column.min(line_text.len())),
            PositionEncoding::Utf16 => utf16_to_byte(line_text, column),
        };
        content.start + within
    }

    /// The protocol range of a byte range; a range end inside a
    /// multi-byte character is moved to the character's end.
    pub fn range(
        &self,
        text: &[u8],
        range: Range<usize>,
        encoding: PositionEncoding,
    ) -> lsp::Range {
        let end = ceil_char_boundary(text, range.end.min(text.len()));
        lsp::Range::new(
            self.position(text, range.start, encoding),
            self.position(text, end.max(range.start), encoding),
        )
    }

    /// The byte range of a protocol range.
    pub fn byte_range(
        &self,
        text: &[u8],
        range: lsp::Range,
        encoding: PositionEncoding,
    ) -> Range<usize> {
        let start = self.offset(text, range.start, encoding);
        let end = self.offset(text, range.end, encoding);
        start.min(end)..end.max(start)
    }
}

/// Whether any of the eight bytes of `word` is `byte`.
fn has_byte(word: u64, byte: u8) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let x = word ^ (ONES * byte as u64);
    x.wrapping_sub(ONES) & !x & HIGHS != 0
}

/// UTF-16 length of bytes; a byte that is not part of valid UTF-8 counts
/// one unit (as an editor decoding it as Latin-1 shows it).
fn utf16_len(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        return bytes.len();
    }
    bytes
        .utf8_chunks()
        .map(|chunk| {
            chunk.valid().chars().map(char::len_utf16).sum::<usize>() + chunk.invalid().len()
        })
        .sum()
}

/// Byte offset in `line` after `units` UTF-16 units (clamped to the line;
/// a column inside a surrogate pair means the character's start).
fn utf16_to_byte(line: &[u8], units: usize) -> usize {
    if line.is_ascii() {
        return units.min(line.len());
    }
    let mut counted = 0;
    let mut offset = 0;
    for chunk in line.utf8_chunks() {
        for c in chunk.valid().chars() {
            if counted + c.len_utf16() > units {
                return offset;
            }
            counted += c.len_utf16();
            offset += c.len_utf8();
        }
        for _ in chunk.invalid() {
            if counted + 1 > units {
                return offset;
            }
            counted += 1;
            offset += 1;
        }
    }
    offset
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

fn floor_char_boundary(text: &[u8], mut at: usize) -> usize {
    while at > 0 && at < text.len() && is_continuation(text[at]) {
        at -= 1;
    }
    at
}

fn ceil_char_boundary(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && is_continuation(text[at]) {
        at += 1;
    }
    at
}

/// The file path of a `file:` URI, lexically normalised (`.` and `..`
/// resolved), or `None` for other schemes.
pub fn path_of(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok().map(|p| normalize(&p))
}

/// The key a document is known by: its path, or for a document that is
/// not a file (`untitled:`), its URI as a relative path.
pub fn key_of(uri: &Url) -> PathBuf {
    path_of(uri).unwrap_or_else(|| PathBuf::from(uri.as_str()))
}

/// The URI of a document key or path: `file:` for absolute paths, else
/// the key is a URI itself.
pub fn uri_of(path: &Path) -> Option<Url> {
    if path.is_absolute() {
        Url::from_file_path(normalize(path)).ok()
    } else {
        Url::parse(path.to_str()?).ok()
    }
}

/// Resolves `.` and `..` components without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Converts spans of one analysed configuration to protocol locations.
pub struct Spans<'a> {
    /// The analysis whose files the spans point into.
    pub analysis: &'a crate::analysis::Analysis,
    /// The negotiated encoding.
    pub encoding: PositionEncoding,
}

impl Spans<'_> {
    /// The URI of an analysed file.
    pub fn uri(&self, file: jailconf_parser::source::FileId) -> Option<Url> {
        uri_of(&self.analysis.path(file))
    }

    /// The protocol range of a byte range in `file`.
    pub fn range(&self, file: jailconf_parser::source::FileId, range: Range<u32>) -> lsp::Range {
        let text = self.analysis.text(file);
        self.analysis.lines(file).range(
            text,
            range.start as usize..range.end as usize,
            self.encoding,
        )
    }

    /// The protocol location of a span, if its file has a URI.
    pub fn location(&self, span: &jailconf_parser::source::Span) -> Option<lsp::Location> {
        Some(lsp::Location::new(
            self.uri(span.file)?,
            self.range(span.file, span.range.clone()),
        ))
    }

    /// A protocol diagnostic.
    pub fn diagnostic(&self, diagnostic: &Diagnostic) -> lsp::Diagnostic {
        let span = &diagnostic.primary.span;
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = diagnostic
            .secondary
            .iter()
            .filter_map(|label| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: self.location(&label.span)?,
                    message: if label.message.is_empty() {
                        "related".to_string()
                    } else {
                        label.message.clone()
                    },
                })
            })
            .collect();
        let tags: Vec<lsp::DiagnosticTag> = match ide::diagnostics::tag(diagnostic.code) {
            Some(ide::diagnostics::Tag::Unnecessary) => vec![lsp::DiagnosticTag::UNNECESSARY],
            Some(ide::diagnostics::Tag::Deprecated) => vec![lsp::DiagnosticTag::DEPRECATED],
            None => Vec::new(),
        };
        lsp::Diagnostic {
            range: self.range(span.file, span.range.clone()),
            severity: Some(severity(diagnostic.severity)),
            code: Some(lsp::NumberOrString::String(diagnostic.code.to_string())),
            code_description: None,
            source: Some("jailconf".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            tags: (!tags.is_empty()).then_some(tags),
            data: None,
        }
    }

    /// A workspace edit from byte edits in any of the analysed files.
    pub fn workspace_edit(&self, edits: &[ide::FileEdit]) -> lsp::WorkspaceEdit {
        let mut changes: std::collections::HashMap<Url, Vec<lsp::TextEdit>> =
            std::collections::HashMap::new();
        for edit in edits {
            let Some(uri) = self.uri(edit.file) else {
                continue;
            };
            let edit = lsp::TextEdit::new(
                self.range(edit.file, edit.range.clone()),
                edit.new_text.clone(),
            );
            // A file included twice is analysed twice: one edit is enough.
            let list = changes.entry(uri).or_default();
            if !list.iter().any(|e| e.range == edit.range) {
                list.push(edit);
            }
        }
        lsp::WorkspaceEdit::new(changes)
    }
}

/// The protocol severity.
pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// A hover over a byte range (markdown, or the same text as plain text
/// for clients without markdown).
pub fn hover(spans: &Spans<'_>, hover: ide::hover::Hover, markdown: bool) -> lsp::Hover {
    let value = hover.markdown;
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: if markdown {
                lsp::MarkupKind::Markdown
            } else {
                lsp::MarkupKind::PlainText
            },
            value,
        }),
        range: Some(spans.range(hover.file, hover.range)),
    }
}

/// Completion items.
pub fn completion(
    spans: &Spans<'_>,
    file: jailconf_parser::source::FileId,
    completions: ide::completion::Completions,
) -> lsp::CompletionResponse {
    let items = completions
        .items
        .into_iter()
        .enumerate()
        .map(|(rank, item)| {
            let kind = match item.kind {
                ide::completion::Kind::Parameter => lsp::CompletionItemKind::PROPERTY,
                ide::completion::Kind::Value => lsp::CompletionItemKind::VALUE,
                ide::completion::Kind::Variable => lsp::CompletionItemKind::VARIABLE,
                ide::completion::Kind::Jail => lsp::CompletionItemKind::MODULE,
                ide::completion::Kind::File => lsp::CompletionItemKind::FILE,
                ide::completion::Kind::Folder => lsp::CompletionItemKind::FOLDER,
                ide::completion::Kind::Keyword => lsp::CompletionItemKind::KEYWORD,
            };
            lsp::CompletionItem {
                label: item.label.clone(),
                kind: Some(kind),
                detail: item.detail,
                documentation: item.documentation.map(|value| {
                    lsp::Documentation::MarkupContent(lsp::MarkupContent {
                        kind: lsp::MarkupKind::Markdown,
                        value,
                    })
                }),
                sort_text: Some(format!("{rank:04}")),
                filter_text: Some(item.filter.unwrap_or_else(|| item.label.clone())),
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    spans.range(file, item.replace.clone()),
                    item.insert,
                ))),
                ..Default::default()
            }
        })
        .collect();
    lsp::CompletionResponse::List(lsp::CompletionList {
        is_incomplete: completions.incomplete,
        items,
    })
}

/// Document symbols, nested.
pub fn document_symbols(
    spans: &Spans<'_>,
    symbols: Vec<ide::symbols::Symbol>,
) -> Vec<lsp::DocumentSymbol> {
    symbols
        .into_iter()
        .map(|symbol| {
            #[allow(deprecated)]
            lsp::DocumentSymbol {
                name: symbol.name,
                detail: symbol.detail,
                kind: symbol_kind(symbol.kind),
                tags: None,
                deprecated: None,
                range: spans.range(symbol.file, symbol.full_range),
                selection_range: spans.range(symbol.file, symbol.name_range),
                children: (!symbol.children.is_empty())
                    .then(|| document_symbols(spans, symbol.children)),
            }
        })
        .collect()
}

/// Flat symbols with locations (workspace symbols, and document symbols
/// for clients without hierarchical support).
pub fn flat_symbols(
    spans: &Spans<'_>,
    symbols: Vec<ide::symbols::Symbol>,
    container: Option<String>,
    out: &mut Vec<lsp::SymbolInformation>,
) {
    for symbol in symbols {
        let Some(uri) = spans.uri(symbol.file) else {
            continue;
        };
        #[allow(deprecated)]
        out.push(lsp::SymbolInformation {
            name: symbol.name.clone(),
            kind: symbol_kind(symbol.kind),
            tags: None,
            deprecated: None,
            location: lsp::Location::new(uri, spans.range(symbol.file, symbol.name_range)),
            container_name: container.clone(),
        });
        flat_symbols(spans, symbol.children, Some(symbol.name), out);
    }
}

fn symbol_kind(kind: ide::symbols::Kind) -> lsp::SymbolKind {
    match kind {
        ide::symbols::Kind::Jail => lsp::SymbolKind::MODULE,
        ide::symbols::Kind::Wildcard => lsp::SymbolKind::NAMESPACE,
        ide::symbols::Kind::Parameter => lsp::SymbolKind::PROPERTY,
        ide::symbols::Kind::Variable => lsp::SymbolKind::VARIABLE,
        ide::symbols::Kind::Include => lsp::SymbolKind::FILE,
    }
}

/// The semantic token legend: the index of each type is its number.
pub fn semantic_legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: ide::tokens::TokenType::ALL
            .iter()
            .map(|t| lsp::SemanticTokenType::new(t.name()))
            .collect(),
        token_modifiers: ide::tokens::MODIFIERS
            .iter()
            .map(|m| lsp::SemanticTokenModifier::new(m))
            .collect(),
    }
}

/// Semantic tokens, relative-encoded, one token per line piece.
pub fn semantic_tokens(
    spans: &Spans<'_>,
    file: jailconf_parser::source::FileId,
    tokens: &[ide::tokens::Token],
) -> lsp::SemanticTokens {
    let text = spans.analysis.text(file);
    let lines = spans.analysis.lines(file);
    let mut data = Vec::with_capacity(tokens.len());
    let (mut prev_line, mut prev_start) = (0u32, 0u32);
    for token in tokens {
        // Split multi-line tokens: the protocol's tokens stay on one line.
        let mut start = token.range.start as usize;
        let end = token.range.end as usize;
        while start < end {
            let from = lines.position(text, start, spans.encoding);
            let line_end = text[start..end]
                .iter()
                .position(|&b| b == b'\n' || b == b'\r')
                .map_or(end, |i| start + i);
            let to = lines.position(text, line_end, spans.encoding);
            if to.character > from.character {
                let delta_line = from.line - prev_line;
                let delta_start = if delta_line == 0 {
                    from.character - prev_start
                } else {
                    from.character
                };
                data.push(lsp::SemanticToken {
                    delta_line,
                    delta_start,
                    length: to.character - from.character,
                    token_type: token.kind as u32,
                    token_modifiers_bitset: token.modifiers,
                });
                prev_line = from.line;
                prev_start = from.character;
            }
            // Skip the line ending.
            let mut next = line_end;
            while next < end && (text[next] == b'\n' || text[next] == b'\r') {
                next += 1;
            }
            start = next;
        }
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}

/// Folding ranges.
pub fn folding_ranges(
    spans: &Spans<'_>,
    file: jailconf_parser::source::FileId,
    folds: Vec<ide::folding::Fold>,
) -> Vec<lsp::FoldingRange> {
    folds
        .into_iter()
        .filter_map(|fold| {
            let range = spans.range(file, fold.range);
            (range.end.line > range.start.line).then_some(lsp::FoldingRange {
                start_line: range.start.line,
                start_character: None,
                end_line: range.end.line,
                end_character: None,
                kind: Some(match fold.kind {
                    ide::folding::Kind::Block => lsp::FoldingRangeKind::Region,
                    ide::folding::Kind::Comment => lsp::FoldingRangeKind::Comment,
                }),
                collapsed_text: None,
            })
        })
        .collect()
}

/// Inlay hints.
pub fn inlay_hints(
    spans: &Spans<'_>,
    file: jailconf_parser::source::FileId,
    hints: Vec<ide::inlay::Hint>,
) -> Vec<lsp::InlayHint> {
    let text = spans.analysis.text(file);
    let lines = spans.analysis.lines(file);
    hints
        .into_iter()
        .map(|hint| lsp::InlayHint {
            position: lines.position(text, hint.offset as usize, spans.encoding),
            label: lsp::InlayHintLabel::String(hint.label),
            kind: None,
            text_edits: None,
            tooltip: hint.tooltip.map(lsp::InlayHintTooltip::String),
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}

/// Document links.
pub fn document_links(spans: &Spans<'_>, links: Vec<ide::links::Link>) -> Vec<lsp::DocumentLink> {
    links
        .into_iter()
        .filter_map(|link| {
            Some(lsp::DocumentLink {
                range: spans.range(link.file, link.range),
                target: Some(uri_of(&link.target)?),
                tooltip: Some(link.tooltip),
                data: None,
            })
        })
        .collect()
}

/// Code actions.
pub fn code_actions(
    spans: &Spans<'_>,
    actions: Vec<ide::actions::Action>,
) -> Vec<lsp::CodeActionOrCommand> {
    actions
        .into_iter()
        .map(|action| {
            lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: action.title,
                kind: Some(lsp::CodeActionKind::QUICKFIX),
                diagnostics: action
                    .diagnostic
                    .as_ref()
                    .map(|d| vec![spans.diagnostic(d)]),
                edit: Some(spans.workspace_edit(&action.edits)),
                command: None,
                is_preferred: Some(action.preferred),
                disabled: None,
                data: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_like_a_byte_by_byte_scan() {
        fn starts(text: &[u8]) -> Vec<u32> {
            let mut starts = vec![0];
            let mut i = 0;
            while i < text.len() {
                match text[i] {
                    b'\n' => starts.push(i as u32 + 1),
                    b'\r' if text.get(i + 1) == Some(&b'\n') => {
                        i += 1;
                        starts.push(i as u32 + 1);
                    }
                    b'\r' => starts.push(i as u32 + 1),
                    _ => {}
                }
                i += 1;
            }
            starts
        }
        let alphabet: [&[u8]; 5] = [b"a", b"\n", b"\r", "é".as_bytes(), b"\r\n"];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let mut text = Vec::new();
            for _ in 0..seed % 40 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Mostly plain text, as in configurations.
                let piece = if seed.is_multiple_of(4) {
                    alphabet[(seed >> 8) as usize % 5]
                } else {
                    b"a"
                };
                text.extend_from_slice(piece);
            }
            assert_eq!(LineIndex::new(&text).starts, starts(&text), "{text:?}");
        }
    }

    fn pos(line: u32, character: u32) -> lsp::Position {
        lsp::Position::new(line, character)
    }

    #[test]
    fn utf16_columns_on_non_ascii() {
        let text = "a = \"héllo 🦀\";\nb;".as_bytes();
        let index = LineIndex::new(text);
        let crab = "a = \"héllo ".len();
        assert_eq!(
            index.position(text, crab, PositionEncoding::Utf16),
            pos(0, 11)
        );
        assert_eq!(
            index.position(text, crab, PositionEncoding::Utf8),
            pos(0, 12)
        );
        let after_crab = crab + 4;
        assert_eq!(
            index.position(text, after_crab, PositionEncoding::Utf16),
            pos(0, 13)
        );
        assert_eq!(
            index.offset(text, pos(0, 13), PositionEncoding::Utf16),
            after_crab
        );
        // Inside the surrogate pair: the character's start.
        assert_eq!(
            index.offset(text, pos(0, 12), PositionEncoding::Utf16),
            crab
        );
        assert_eq!(
            index.offset(text, pos(1, 1), PositionEncoding::Utf16),
            text.len() - 1
        );
    }

    #[test]
    fn line_endings() {
        let text = b"a;\r\nb;\rc;\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 4, PositionEncoding::Utf16), pos(1, 0));
        assert_eq!(index.position(text, 7, PositionEncoding::Utf16), pos(2, 0));
        assert_eq!(index.position(text, 10, PositionEncoding::Utf16), pos(3, 0));
        // The CR of CRLF is not part of the line's columns.
        assert_eq!(index.position(text, 3, PositionEncoding::Utf16), pos(0, 2));
        assert_eq!(index.offset(text, pos(0, 99), PositionEncoding::Utf16), 2);
        assert_eq!(
            index.offset(text, pos(9, 0), PositionEncoding::Utf8),
            text.len()
        );
    }

    #[test]
    fn invalid_utf8_counts_one_unit_per_byte() {
        let text = b"x = \"\xe9t\xe9\";";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 8, PositionEncoding::Utf16), pos(0, 8));
        assert_eq!(index.offset(text, pos(0, 7), PositionEncoding::Utf16), 7);
    }

    #[test]
    fn negotiation_prefers_utf8() {
        let both = [
            lsp::PositionEncodingKind::UTF16,
            lsp::PositionEncodingKind::UTF8,
        ];
        assert_eq!(
            PositionEncoding::negotiate(Some(&both)),
            PositionEncoding::Utf8
        );
        assert_eq!(PositionEncoding::negotiate(None), PositionEncoding::Utf16);
        assert_eq!(
            PositionEncoding::negotiate(Some(&[lsp::PositionEncodingKind::UTF32])),
            PositionEncoding::Utf16
        );
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        let uri = Url::parse("file:///etc/jail.conf.d/../jail.conf").unwrap();
        assert_eq!(path_of(&uri), Some(PathBuf::from("/etc/jail.conf")));
        assert_eq!(path_of(&Url::parse("untitled:Untitled-1").unwrap()), None);
    }
}
