//! Document symbols, workspace symbols and document links.

use lsp_types as lsp;

use crate::support::{fixture, Capabilities, TestServer};

fn symbols(server: &mut TestServer, uri: &lsp::Url) -> Option<lsp::DocumentSymbolResponse> {
    server.request::<lsp::request::DocumentSymbolRequest>(lsp::DocumentSymbolParams {
        text_document: lsp::TextDocumentIdentifier::new(uri.clone()),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    })
}

#[test]
fn nested_document_symbols() {
    let mut server = TestServer::new();
    let text = "$v = 1;\nhost {\n    persist;\n    child { path = \"/j\"; }\n}\n\"*\" { exec.clean; }\n.include \"none/*.conf\";\n";
    let (uri, _) = server.open(&fixture("scratch.conf"), text);
    let response = symbols(&mut server, &uri);
    insta::assert_json_snapshot!(server.redacted(&response));
}

#[test]
fn flat_symbols_for_clients_without_nesting() {
    let mut server = TestServer::with(Capabilities {
        hierarchical_symbols: false,
        ..Capabilities::default()
    });
    let (uri, _) = server.open(
        &fixture("scratch.conf"),
        "host {\n    child { persist; }\n}\n",
    );
    let response = symbols(&mut server, &uri);
    insta::assert_json_snapshot!(server.redacted(&response));
}

#[test]
fn workspace_symbols_over_open_configurations() {
    let mut server = TestServer::new();
    let _ = server.open_fixture("basic.conf");
    let _ = server.await_diagnostics(&crate::support::uri(&fixture("basic.d/mail.conf")));
    let all = server.request::<lsp::request::WorkspaceSymbolRequest>(lsp::WorkspaceSymbolParams {
        query: String::new(),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    let web = server.request::<lsp::request::WorkspaceSymbolRequest>(lsp::WorkspaceSymbolParams {
        query: "wc".to_string(),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    insta::assert_json_snapshot!(server.redacted(&(all, web)));
}

#[test]
fn include_links() {
    let mut server = TestServer::new();
    let text = ".include \"basic.d/*.conf\";\n.include \"basic.d/mail.conf\";\n";
    let (uri, _) = server.open(&fixture("scratch.conf"), text);
    let _ = server.await_diagnostics(&crate::support::uri(&fixture("basic.d/mail.conf")));
    let links = server.request::<lsp::request::DocumentLinkRequest>(lsp::DocumentLinkParams {
        text_document: lsp::TextDocumentIdentifier::new(uri),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    insta::assert_json_snapshot!(server.redacted(&links));
}
