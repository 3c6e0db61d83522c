//! Request and notification handlers: protocol parameters in, through
//! `convert` to offsets, into `ide`, and back.

use std::sync::Arc;

use jailconf_parser::source::FileId;
use lsp_types as lsp;

use crate::analysis::Analysis;
use crate::convert::{self, key_of, Spans};
use crate::dispatch::{HandlerError, HandlerResult};
use crate::ide;
use crate::server::Server;

/// Most workspace symbols returned at once.
const WORKSPACE_SYMBOL_LIMIT: usize = 256;

// ----- documents ----------------------------------------------------------

/// `textDocument/didOpen`.
pub fn did_open(server: &mut Server, params: lsp::DidOpenTextDocumentParams) -> Result<(), String> {
    let doc = params.text_document;
    let affected = server
        .workspace
        .open(key_of(&doc.uri), doc.text, doc.version);
    server.schedule(affected);
    Ok(())
}

/// `textDocument/didChange`: applies the changes in order.
pub fn did_change(
    server: &mut Server,
    params: lsp::DidChangeTextDocumentParams,
) -> Result<(), String> {
    let path = key_of(&params.text_document.uri);
    let encoding = server.encoding;
    let Some(doc) = server.workspace.document(&path) else {
        return Err(format!(
            "didChange for {}, which is not open",
            params.text_document.uri
        ));
    };
    let mut text = std::mem::take(&mut doc.text);
    for change in params.content_changes {
        match change.range {
            None => text = change.text,
            Some(range) => {
                let lines = convert::LineIndex::new(text.as_bytes());
                let bytes = lines.byte_range(text.as_bytes(), range, encoding);
                if !text.is_char_boundary(bytes.start) || !text.is_char_boundary(bytes.end) {
                    return Err("didChange: a range splits a character".to_string());
                }
                text.replace_range(bytes, &change.text);
            }
        }
    }
    let affected = server
        .workspace
        .update(&path, text, params.text_document.version);
    server.schedule(affected);
    Ok(())
}

/// `textDocument/didSave`: the disk changed, and maybe `jailconf.toml`.
pub fn did_save(
    server: &mut Server,
    _params: lsp::DidSaveTextDocumentParams,
) -> Result<(), String> {
    let all = server.workspace.invalidate_all();
    server.schedule(all);
    Ok(())
}

/// `textDocument/didClose`.
pub fn did_close(
    server: &mut Server,
    params: lsp::DidCloseTextDocumentParams,
) -> Result<(), String> {
    let path = key_of(&params.text_document.uri);
    let affected = server.workspace.close(&path);
    server.clear_diagnostics(&path, params.text_document.uri);
    server.schedule(affected);
    Ok(())
}

/// `workspace/didChangeWatchedFiles`: files or settings changed on disk.
pub fn did_change_watched_files(
    server: &mut Server,
    _params: lsp::DidChangeWatchedFilesParams,
) -> Result<(), String> {
    let all = server.workspace.invalidate_all();
    server.schedule(all);
    Ok(())
}

// ----- helpers ------------------------------------------------------------

/// The analysis a document is part of, and the document's file in it.
fn analysis_of(server: &mut Server, uri: &lsp::Url) -> HandlerResult<(Arc<Analysis>, FileId)> {
    let path = key_of(uri);
    let analysis = server.workspace.analysis(&path);
    let file = analysis
        .file_of(&path)
        .ok_or_else(|| HandlerError::unknown_document(uri))?;
    Ok((analysis, file))
}

fn offset(server: &Server, analysis: &Analysis, file: FileId, position: lsp::Position) -> u32 {
    analysis
        .lines(file)
        .offset(analysis.text(file), position, server.encoding) as u32
}

fn spans<'a>(server: &Server, analysis: &'a Analysis) -> Spans<'a> {
    Spans {
        analysis,
        encoding: server.encoding,
    }
}

fn locations(spans: &Spans<'_>, list: Vec<jailconf_parser::source::Span>) -> Vec<lsp::Location> {
    list.iter().filter_map(|s| spans.location(s)).collect()
}

// ----- requests -----------------------------------------------------------

/// `textDocument/formatting`: the whole document, as `jailfmt` formats
/// it (with the settings of `jailconf.toml`; the editor's tab options are
/// not used, so editor and CLI agree).
pub fn formatting(
    server: &mut Server,
    params: lsp::DocumentFormattingParams,
) -> HandlerResult<Option<Vec<lsp::TextEdit>>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let edit = ide::format::format_file(&analysis, file).map_err(HandlerError::failed)?;
    let spans = spans(server, &analysis);
    Ok(Some(
        edit.into_iter()
            .map(|e| lsp::TextEdit::new(spans.range(file, e.range), e.new_text))
            .collect(),
    ))
}

/// `textDocument/rangeFormatting`.
pub fn range_formatting(
    server: &mut Server,
    params: lsp::DocumentRangeFormattingParams,
) -> HandlerResult<Option<Vec<lsp::TextEdit>>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let range = analysis
        .lines(file)
        .byte_range(analysis.text(file), params.range, server.encoding);
    let edits = ide::format::format_range(&analysis, file, range).map_err(HandlerError::failed)?;
    let spans = spans(server, &analysis);
    Ok(Some(
        edits
            .into_iter()
            .map(|e| lsp::TextEdit::new(spans.range(file, e.range), e.new_text))
            .collect(),
    ))
}

/// `textDocument/hover`.
pub fn hover(server: &mut Server, params: lsp::HoverParams) -> HandlerResult<Option<lsp::Hover>> {
    let position = params.text_document_position_params;
    let (analysis, file) = analysis_of(server, &position.text_document.uri)?;
    let at = offset(server, &analysis, file, position.position);
    let markdown = server.caps.markdown;
    Ok(ide::hover::hover(&analysis, file, at)
        .map(|h| convert::hover(&spans(server, &analysis), h, markdown)))
}

/// `textDocument/completion`.
pub fn completion(
    server: &mut Server,
    params: lsp::CompletionParams,
) -> HandlerResult<Option<lsp::CompletionResponse>> {
    let position = params.text_document_position;
    let (analysis, file) = analysis_of(server, &position.text_document.uri)?;
    let at = offset(server, &analysis, file, position.position);
    let completions = ide::completion::complete(&analysis, file, at);
    Ok(Some(convert::completion(
        &spans(server, &analysis),
        file,
        completions,
    )))
}

/// `textDocument/definition`.
pub fn definition(
    server: &mut Server,
    params: lsp::GotoDefinitionParams,
) -> HandlerResult<Option<lsp::GotoDefinitionResponse>> {
    let position = params.text_document_position_params;
    let (analysis, file) = analysis_of(server, &position.text_document.uri)?;
    let at = offset(server, &analysis, file, position.position);
    let found = locations(
        &spans(server, &analysis),
        ide::navigation::definition(&analysis, file, at),
    );
    Ok((!found.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(found)))
}

/// `textDocument/references`.
pub fn references(
    server: &mut Server,
    params: lsp::ReferenceParams,
) -> HandlerResult<Option<Vec<lsp::Location>>> {
    let position = params.text_document_position;
    let (analysis, file) = analysis_of(server, &position.text_document.uri)?;
    let at = offset(server, &analysis, file, position.position);
    let found =
        ide::navigation::references(&analysis, file, at, params.context.include_declaration);
    let found = locations(&spans(server, &analysis), found);
    Ok((!found.is_empty()).then_some(found))
}

/// `textDocument/prepareRename`.
pub fn prepare_rename(
    server: &mut Server,
    params: lsp::TextDocumentPositionParams,
) -> HandlerResult<Option<lsp::PrepareRenameResponse>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let at = offset(server, &analysis, file, params.position);
    let (range, placeholder) =
        ide::navigation::prepare_rename(&analysis, file, at).map_err(HandlerError::failed)?;
    Ok(Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
        range: spans(server, &analysis).range(file, range),
        placeholder,
    }))
}

/// `textDocument/rename`: variables and jails, in every file of the
/// configuration.
pub fn rename(
    server: &mut Server,
    params: lsp::RenameParams,
) -> HandlerResult<Option<lsp::WorkspaceEdit>> {
    let position = params.text_document_position;
    let (analysis, file) = analysis_of(server, &position.text_document.uri)?;
    let at = offset(server, &analysis, file, position.position);
    let edits = ide::navigation::rename(&analysis, file, at, &params.new_name)
        .map_err(HandlerError::failed)?;
    Ok(Some(spans(server, &analysis).workspace_edit(&edits)))
}

/// `textDocument/documentSymbol`.
pub fn document_symbols(
    server: &mut Server,
    params: lsp::DocumentSymbolParams,
) -> HandlerResult<Option<lsp::DocumentSymbolResponse>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let symbols = ide::symbols::document_symbols(&analysis, file);
    let spans = spans(server, &analysis);
    Ok(Some(if server.caps.hierarchical_symbols {
        lsp::DocumentSymbolResponse::Nested(convert::document_symbols(&spans, symbols))
    } else {
        let mut flat = Vec::new();
        convert::flat_symbols(&spans, symbols, None, &mut flat);
        lsp::DocumentSymbolResponse::Flat(flat)
    }))
}

/// `workspace/symbol`: jails of every open configuration.
pub fn workspace_symbols(
    server: &mut Server,
    params: lsp::WorkspaceSymbolParams,
) -> HandlerResult<Option<lsp::WorkspaceSymbolResponse>> {
    let mut out = Vec::new();
    for analysis in server.workspace.all_analyses() {
        let left = WORKSPACE_SYMBOL_LIMIT.saturating_sub(out.len());
        let symbols = ide::symbols::workspace_symbols(&analysis, &params.query, left);
        convert::flat_symbols(&spans(server, &analysis), symbols, None, &mut out);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name && a.location == b.location);
    Ok(Some(lsp::WorkspaceSymbolResponse::Flat(out)))
}

/// `textDocument/documentLink`.
pub fn document_links(
    server: &mut Server,
    params: lsp::DocumentLinkParams,
) -> HandlerResult<Option<Vec<lsp::DocumentLink>>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let links = ide::links::links(&analysis, file);
    Ok(Some(convert::document_links(
        &spans(server, &analysis),
        links,
    )))
}

/// `textDocument/codeAction`.
pub fn code_actions(
    server: &mut Server,
    params: lsp::CodeActionParams,
) -> HandlerResult<Option<lsp::CodeActionResponse>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let wanted = params.context.only.as_ref();
    if wanted.is_some_and(|kinds| {
        !kinds.iter().any(|k| {
            lsp::CodeActionKind::QUICKFIX
                .as_str()
                .starts_with(k.as_str())
        })
    }) {
        return Ok(Some(Vec::new()));
    }
    let range = analysis
        .lines(file)
        .byte_range(analysis.text(file), params.range, server.encoding);
    let actions = ide::actions::actions(&analysis, file, range.start as u32..range.end as u32);
    Ok(Some(convert::code_actions(
        &spans(server, &analysis),
        actions,
    )))
}

/// `textDocument/semanticTokens/full`.
pub fn semantic_tokens_full(
    server: &mut Server,
    params: lsp::SemanticTokensParams,
) -> HandlerResult<Option<lsp::SemanticTokensResult>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let tokens = ide::tokens::tokens(&analysis, file, None);
    Ok(Some(lsp::SemanticTokensResult::Tokens(
        convert::semantic_tokens(&spans(server, &analysis), file, &tokens),
    )))
}

/// `textDocument/semanticTokens/range`.
pub fn semantic_tokens_range(
    server: &mut Server,
    params: lsp::SemanticTokensRangeParams,
) -> HandlerResult<Option<lsp::SemanticTokensRangeResult>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let range = analysis
        .lines(file)
        .byte_range(analysis.text(file), params.range, server.encoding);
    let tokens = ide::tokens::tokens(&analysis, file, Some(range.start as u32..range.end as u32));
    Ok(Some(lsp::SemanticTokensRangeResult::Tokens(
        convert::semantic_tokens(&spans(server, &analysis), file, &tokens),
    )))
}

/// `textDocument/foldingRange`.
pub fn folding_ranges(
    server: &mut Server,
    params: lsp::FoldingRangeParams,
) -> HandlerResult<Option<Vec<lsp::FoldingRange>>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let folds = ide::folding::folds(&analysis, file);
    Ok(Some(convert::folding_ranges(
        &spans(server, &analysis),
        file,
        folds,
    )))
}

/// `textDocument/inlayHint`.
pub fn inlay_hints(
    server: &mut Server,
    params: lsp::InlayHintParams,
) -> HandlerResult<Option<Vec<lsp::InlayHint>>> {
    let (analysis, file) = analysis_of(server, &params.text_document.uri)?;
    let range = analysis
        .lines(file)
        .byte_range(analysis.text(file), params.range, server.encoding);
    let hints = ide::inlay::hints(&analysis, file, range.start as u32..range.end as u32);
    Ok(Some(convert::inlay_hints(
        &spans(server, &analysis),
        file,
        hints,
    )))
}
