//! Position encodings (UTF-8, UTF-16) on non-ASCII lines and CRLF files.

use lsp_types as lsp;

use crate::support::{at, fixture, Capabilities, TestServer};

const TEXT: &str = "# Grüße 🦀\n$greeting = \"Grüße 🦀\";\nweb {\n    /* 🦀 */ bogus;\n    exec.start = \"echo ${greeting}\";\n    persist;\n}\n";

fn server(encodings: Option<Vec<lsp::PositionEncodingKind>>) -> TestServer {
    TestServer::with(Capabilities {
        encodings,
        ..Capabilities::default()
    })
}

fn range_of(diagnostics: &lsp::PublishDiagnosticsParams, code: &str) -> lsp::Range {
    diagnostics
        .diagnostics
        .iter()
        .find(|d| d.code == Some(lsp::NumberOrString::String(code.to_string())))
        .unwrap_or_else(|| panic!("no {code} in {diagnostics:?}"))
        .range
}

fn hover_range(
    server: &mut TestServer,
    uri: &lsp::Url,
    line: u32,
    character: u32,
) -> Option<lsp::Range> {
    server
        .request::<lsp::request::HoverRequest>(lsp::HoverParams {
            text_document_position_params: at(uri, line, character),
            work_done_progress_params: Default::default(),
        })
        .and_then(|h| h.range)
}

#[test]
fn utf8_is_chosen_when_offered() {
    let mut server = server(Some(vec![
        lsp::PositionEncodingKind::UTF16,
        lsp::PositionEncodingKind::UTF8,
    ]));
    assert_eq!(
        server.initialize.capabilities.position_encoding,
        Some(lsp::PositionEncodingKind::UTF8)
    );
    let (uri, diagnostics) = server.open(&fixture("unicode.conf"), TEXT);
    // `/* 🦀 */ ` is 4 + 11 bytes.
    assert_eq!(
        range_of(&diagnostics, "JC008"),
        lsp::Range::new(lsp::Position::new(3, 15), lsp::Position::new(3, 20))
    );
    // `echo ${greeting}`: an ASCII line, the same in both encodings.
    assert_eq!(
        hover_range(&mut server, &uri, 4, 26),
        Some(lsp::Range::new(
            lsp::Position::new(4, 23),
            lsp::Position::new(4, 34)
        ))
    );
    // `$greeting` before non-ASCII text on its line: UTF-8 and UTF-16
    // agree there (the diagnostic above, after the crab, did not).
    assert_eq!(
        hover_range(&mut server, &uri, 1, 3),
        Some(lsp::Range::new(
            lsp::Position::new(1, 0),
            lsp::Position::new(1, 9)
        ))
    );
}

#[test]
fn utf16_is_the_default() {
    let mut server = server(None);
    assert_eq!(
        server.initialize.capabilities.position_encoding,
        Some(lsp::PositionEncodingKind::UTF16)
    );
    let (uri, diagnostics) = server.open(&fixture("unicode.conf"), TEXT);
    // `/* 🦀 */ ` is 4 + 9 UTF-16 units.
    assert_eq!(
        range_of(&diagnostics, "JC008"),
        lsp::Range::new(lsp::Position::new(3, 13), lsp::Position::new(3, 18))
    );
    let hover = server.request::<lsp::request::HoverRequest>(lsp::HoverParams {
        text_document_position_params: at(&uri, 1, 3),
        work_done_progress_params: Default::default(),
    });
    insta::assert_json_snapshot!(server.redacted(&hover));
}

#[test]
fn crlf_lines_have_the_same_positions() {
    let mut server = server(None);
    let crlf = TEXT.replace('\n', "\r\n");
    let (uri, diagnostics) = server.open(&fixture("unicode.conf"), &crlf);
    assert_eq!(
        range_of(&diagnostics, "JC008"),
        lsp::Range::new(lsp::Position::new(3, 13), lsp::Position::new(3, 18))
    );
    assert_eq!(
        hover_range(&mut server, &uri, 4, 25),
        Some(lsp::Range::new(
            lsp::Position::new(4, 23),
            lsp::Position::new(4, 34)
        ))
    );
    // A position past the end of a line means its end, before the CR.
    let completion = server.request::<lsp::request::Completion>(lsp::CompletionParams {
        text_document_position: at(&uri, 5, 99),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
        context: None,
    });
    let Some(lsp::CompletionResponse::List(list)) = completion else {
        panic!("a list expected");
    };
    let edit = list.items.first().and_then(|i| i.text_edit.clone());
    assert_eq!(
        edit.map(|e| match e {
            lsp::CompletionTextEdit::Edit(e) => e.range,
            lsp::CompletionTextEdit::InsertAndReplace(e) => e.replace,
        }),
        // After `persist;` nothing is typed: an empty range at the end.
        Some(lsp::Range::new(
            lsp::Position::new(5, 12),
            lsp::Position::new(5, 12)
        ))
    );
}

#[test]
fn incremental_change_on_a_non_ascii_line() {
    let mut server = server(None);
    let (uri, _) = server.open(&fixture("unicode.conf"), TEXT);
    // Replace `bogus` (UTF-16 columns 13..18 of line 3) with `persist`.
    server.notify::<lsp::notification::DidChangeTextDocument>(lsp::DidChangeTextDocumentParams {
        text_document: lsp::VersionedTextDocumentIdentifier::new(uri.clone(), 2),
        content_changes: vec![lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(3, 13),
                lsp::Position::new(3, 18),
            )),
            range_length: None,
            text: "persist".to_string(),
        }],
    });
    let diagnostics = server.await_diagnostics(&uri);
    assert_eq!(diagnostics.version, Some(2));
    assert!(
        diagnostics
            .diagnostics
            .iter()
            .all(|d| d.code != Some(lsp::NumberOrString::String("JC008".into()))),
        "{diagnostics:?}"
    );
}
