//! Every request at every kind of position of broken documents: the
//! server answers each one, and none with an internal error (a handler
//! that panicked).

use lsp_server::ErrorCode;
use lsp_types as lsp;
use lsp_types::request::Request as RequestTrait;

use crate::support::{fixture, pos, TestServer};

/// Documents that stress the server: broken syntax of every kind, text
/// that is not ASCII, CRLF and CR line ends, template placeholders.
const DOCUMENTS: &[&str] = &[
    "",
    "{",
    "}",
    "\"",
    "'unterminated\n",
    "/* unterminated",
    "web {\n  path = \"/j/${name\";\n  $x = ${y\n",
    "web {\n  ip4.addr = em0|10.0.0.1/24, \"é\"é;\n  host.hostname = \"\u{1F600}.example\";\n}\n",
    "a {\r\n  b {\r\n    c {\r\n      persist;\r\n    }\r\n  }\r\n}\r\n",
    "x {\r persist;\r exec.start = \"/bin/sh /etc/rc\";\r}\r",
    "{{ jail_name }} {\n  path = \"{{ path }}\";\n  {% for ip in ips %}ip4.addr += {{ ip }};{% endfor %}\n}\n",
    "$a = \"$b\";\n$b = \"$a\";\nj { depend = k; }\nk { depend = j; }\n",
    ".include \"/nonexistent/*.conf\";\n.include;\n.include \"\";\n",
    "*.web { persist; }\n\"web.*\" { exec.start = \"x\"; }\nweb.* { }\n",
    "j {\n  exec.prestart += \"ifconfig epair0 create\";\n  exec.prestart += \"ifconfig bridge0 addm epair0a\";\n  vnet;\n  vnet.interface = \"epair0b\";\n  exec.start += \"ifconfig epair0b 10.0.0.1/24\";\n}\n\u{0}\u{7f}\u{a0}",
    "# jailconf: ignore[JC0\nj { # jailconf: ignore[JC017]\n}\n",
    "j { nopersist; noallow.mount; allow.nomount; allow.mount; ip4 = inherit; enforce_statfs = -1; devfs_ruleset = 99999999999999999999; }",
];

/// A response error that means a handler panicked.
fn is_internal(error: &lsp_server::ResponseError) -> bool {
    error.code == ErrorCode::InternalError as i32
}

/// Positions worth asking about in `text`: the start, middle and end of
/// every line, one past the end, inside a character that UTF-16 encodes
/// in two units, and lines past the end of the document.
fn positions(text: &str) -> Vec<lsp::Position> {
    let mut positions = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    for (line, content) in lines.iter().enumerate() {
        let units = content.encode_utf16().count() as u32;
        for character in [0, 1, units / 2, units.saturating_sub(1), units, units + 3] {
            positions.push(pos(line as u32, character));
        }
    }
    let past = lines.len() as u32;
    positions.extend([pos(past, 0), pos(past + 10, 4), pos(u32::MAX, u32::MAX)]);
    positions.sort_by_key(|p| (p.line, p.character));
    positions.dedup();
    positions
}

/// Sends `R` with `params` and fails on an internal error.
fn ask<R: RequestTrait>(server: &mut TestServer, params: R::Params, what: &str) {
    let id = server.send_request::<R>(params);
    let response = server.await_response_raw(&id);
    if let Some(error) = response.error.filter(is_internal) {
        panic!("{} {what}: {}", R::METHOD, error.message);
    }
}

/// Asks every request the server handles about `url`: the whole-document
/// ones once, the positional ones at each of [`positions`].
fn ask_everything(server: &mut TestServer, url: &lsp::Url, text: &str, name: &str) {
    let document = lsp::TextDocumentIdentifier::new(url.clone());
    ask::<lsp::request::DocumentSymbolRequest>(
        server,
        lsp::DocumentSymbolParams {
            text_document: document.clone(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
        name,
    );
    ask::<lsp::request::SemanticTokensFullRequest>(
        server,
        lsp::SemanticTokensParams {
            text_document: document.clone(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
        name,
    );
    ask::<lsp::request::FoldingRangeRequest>(
        server,
        lsp::FoldingRangeParams {
            text_document: document.clone(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
        name,
    );
    ask::<lsp::request::DocumentLinkRequest>(
        server,
        lsp::DocumentLinkParams {
            text_document: document.clone(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
        name,
    );
    ask::<lsp::request::Formatting>(
        server,
        lsp::DocumentFormattingParams {
            text_document: document.clone(),
            options: Default::default(),
            work_done_progress_params: Default::default(),
        },
        name,
    );
    ask::<lsp::request::WorkspaceSymbolRequest>(
        server,
        lsp::WorkspaceSymbolParams {
            query: String::new(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        },
        name,
    );
    let points = positions(text);
    for (index, &position) in points.iter().enumerate() {
        let what = format!("in {name} at {}:{}", position.line, position.character);
        let at = lsp::TextDocumentPositionParams::new(document.clone(), position);
        let next = points.get(index + 1).copied().unwrap_or(position);
        let range = lsp::Range::new(position, next);
        ask::<lsp::request::HoverRequest>(
            server,
            lsp::HoverParams {
                text_document_position_params: at.clone(),
                work_done_progress_params: Default::default(),
            },
            &what,
        );
        ask::<lsp::request::Completion>(
            server,
            lsp::CompletionParams {
                text_document_position: at.clone(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            },
            &what,
        );
        ask::<lsp::request::GotoDefinition>(
            server,
            lsp::GotoDefinitionParams {
                text_document_position_params: at.clone(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
            &what,
        );
        ask::<lsp::request::References>(
            server,
            lsp::ReferenceParams {
                text_document_position: at.clone(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: lsp::ReferenceContext {
                    include_declaration: true,
                },
            },
            &what,
        );
        ask::<lsp::request::PrepareRenameRequest>(server, at.clone(), &what);
        ask::<lsp::request::Rename>(
            server,
            lsp::RenameParams {
                text_document_position: at.clone(),
                new_name: "renamed".to_string(),
                work_done_progress_params: Default::default(),
            },
            &what,
        );
        ask::<lsp::request::CodeActionRequest>(
            server,
            lsp::CodeActionParams {
                text_document: document.clone(),
                range,
                context: Default::default(),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
            &what,
        );
        ask::<lsp::request::RangeFormatting>(
            server,
            lsp::DocumentRangeFormattingParams {
                text_document: document.clone(),
                range,
                options: Default::default(),
                work_done_progress_params: Default::default(),
            },
            &what,
        );
        ask::<lsp::request::SemanticTokensRangeRequest>(
            server,
            lsp::SemanticTokensRangeParams {
                text_document: document.clone(),
                range,
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            },
            &what,
        );
        ask::<lsp::request::InlayHintRequest>(
            server,
            lsp::InlayHintParams {
                text_document: document.clone(),
                range,
                work_done_progress_params: Default::default(),
            },
            &what,
        );
    }
}

/// Opens each document (as `jail.conf` in a new folder, in a new server)
/// and asks everything about it.
fn check_documents(documents: impl IntoIterator<Item = (String, String)>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in documents {
        let mut server = TestServer::new();
        let path = dir.path().join("jail.conf");
        let (url, _) = server.open(&path, &text);
        ask_everything(&mut server, &url, &text, &name);
        server.shutdown_ignoring_diagnostics();
    }
}

#[test]
fn broken_documents_get_an_answer_to_every_request() {
    check_documents(
        DOCUMENTS
            .iter()
            .enumerate()
            .map(|(index, text)| (format!("document {index}"), text.to_string())),
    );
}

#[test]
fn a_fixture_cut_short_anywhere_gets_an_answer_to_every_request() {
    let text = std::fs::read_to_string(fixture("basic.conf")).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    check_documents((1..lines.len()).step_by(3).map(|cut| {
        (
            format!("basic.conf cut after line {cut}"),
            lines[..cut].concat(),
        )
    }));
}
