//! Semantic tokens, folding ranges and inlay hints.

use lsp_types as lsp;

use crate::support::{fixture, TestServer};

/// Decodes relative semantic tokens to `(line, start, length, type, modifiers)`.
fn decode(tokens: &lsp::SemanticTokens, legend: &lsp::SemanticTokensLegend) -> Vec<String> {
    let (mut line, mut start) = (0, 0);
    tokens
        .data
        .iter()
        .map(|t| {
            if t.delta_line > 0 {
                line += t.delta_line;
                start = t.delta_start;
            } else {
                start += t.delta_start;
            }
            format!(
                "{line}:{start} len {} {}{}",
                t.length,
                legend.token_types[t.token_type as usize].as_str(),
                if t.token_modifiers_bitset & 1 == 1 {
                    " declaration"
                } else {
                    ""
                }
            )
        })
        .collect()
}

fn legend(server: &TestServer) -> lsp::SemanticTokensLegend {
    match server
        .initialize
        .capabilities
        .semantic_tokens_provider
        .clone()
    {
        Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(options)) => {
            options.legend
        }
        other => panic!("no semantic tokens: {other:?}"),
    }
}

const TEXT: &str = "# a comment\n/* two\n   lines */\n$dom = \"example.org\";\nweb {\n    host.hostname = \"${name}.${dom}\";\n    securelevel = 3;\n    .include \"x\";\n}\n";

#[test]
fn semantic_tokens_full_and_range() {
    let mut server = TestServer::new();
    let (uri, _) = server.open(&fixture("scratch.conf"), TEXT);
    let legend = legend(&server);
    let full =
        server.request::<lsp::request::SemanticTokensFullRequest>(lsp::SemanticTokensParams {
            text_document: lsp::TextDocumentIdentifier::new(uri.clone()),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        });
    let Some(lsp::SemanticTokensResult::Tokens(full)) = full else {
        panic!("tokens expected");
    };
    let range = server.request::<lsp::request::SemanticTokensRangeRequest>(
        lsp::SemanticTokensRangeParams {
            text_document: lsp::TextDocumentIdentifier::new(uri),
            range: lsp::Range::new(lsp::Position::new(5, 0), lsp::Position::new(6, 0)),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
    );
    let Some(lsp::SemanticTokensRangeResult::Tokens(range)) = range else {
        panic!("tokens expected");
    };
    insta::assert_json_snapshot!((decode(&full, &legend), decode(&range, &legend)));
}

#[test]
fn folding_ranges() {
    let mut server = TestServer::new();
    let text = "# one\n# two\n# three\n\nweb {\n    persist;\n    child {\n        path = \"/j\";\n    }\n}\n/* a\n   b */\nshort { }\n";
    let (uri, _) = server.open(&fixture("scratch.conf"), text);
    let folds = server.request::<lsp::request::FoldingRangeRequest>(lsp::FoldingRangeParams {
        text_document: lsp::TextDocumentIdentifier::new(uri),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    insta::assert_json_snapshot!(folds);
}

#[test]
fn inlay_hints_show_expanded_values() {
    let mut server = TestServer::new();
    let (uri, _) = server.open_fixture("basic.conf");
    let _ = server.await_diagnostics(&crate::support::uri(&fixture("basic.d/mail.conf")));
    let hints = server.request::<lsp::request::InlayHintRequest>(lsp::InlayHintParams {
        text_document: lsp::TextDocumentIdentifier::new(uri),
        range: lsp::Range::new(lsp::Position::new(0, 0), lsp::Position::new(40, 0)),
        work_done_progress_params: Default::default(),
    });
    insta::assert_json_snapshot!(server.redacted(&hints));
}
