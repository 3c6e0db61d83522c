//! Formatting: whole documents and ranges, identical to `jailfmt`.

use lsp_types as lsp;

use crate::support::{apply_edits, fixture, TestServer};

fn format(server: &mut TestServer, uri: &lsp::Url) -> Option<Vec<lsp::TextEdit>> {
    server.request::<lsp::request::Formatting>(lsp::DocumentFormattingParams {
        text_document: lsp::TextDocumentIdentifier::new(uri.clone()),
        options: lsp::FormattingOptions {
            tab_size: 4,
            insert_spaces: true,
            ..Default::default()
        },
        work_done_progress_params: Default::default(),
    })
}

#[test]
fn whole_document_matches_the_formatter() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fmt");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path().canonicalize().unwrap();
        if path.extension().is_none_or(|e| e != "conf") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            // Not UTF-8: editors cannot send it as a protocol string.
            continue;
        };
        let expected = jailconf_fmt::format(
            text.as_bytes(),
            &jailconf_fmt::FormatOptions::default(),
            jailconf_parser::Target::V15,
        );
        let mut server = TestServer::new();
        let (uri, _) = server.open(&path, &text);
        let edits = format(&mut server, &uri);
        match expected {
            Ok(expected) => {
                let got = apply_edits(&text, &edits.unwrap_or_default());
                assert_eq!(got.as_bytes(), expected.as_slice(), "{}", path.display());
            }
            Err(_) => unreachable!("fmt fixtures parse"),
        }
        // Included files of some fixtures publish diagnostics too.
        server.shutdown_ignoring_diagnostics();
        checked += 1;
    }
    assert!(checked > 10);
}

#[test]
fn edit_is_minimal_and_snapshot() {
    let mut server = TestServer::new();
    let text = "# one\nweb{path=/jails/web;\npersist;}\n";
    let (uri, _) = server.open(&fixture("broken.conf"), text);
    let edits = format(&mut server, &uri);
    insta::assert_json_snapshot!(server.redacted(&edits));
    assert_eq!(
        apply_edits(text, &edits.unwrap()),
        "# one\nweb {\n    path = /jails/web;\n    persist;\n}\n"
    );
}

#[test]
fn already_formatted_gives_no_edit() {
    let mut server = TestServer::new();
    let (uri, _) = server.open(&fixture("broken.conf"), "web {\n    persist;\n}\n");
    assert_eq!(format(&mut server, &uri), Some(Vec::new()));
}

#[test]
fn syntax_error_refuses_to_format() {
    let mut server = TestServer::new();
    let (uri, _) = server.open_fixture("broken.conf");
    let id = server.send_request::<lsp::request::Formatting>(lsp::DocumentFormattingParams {
        text_document: lsp::TextDocumentIdentifier::new(uri),
        options: Default::default(),
        work_done_progress_params: Default::default(),
    });
    let error = server.await_error(&id);
    assert_eq!(error.code, lsp_server::ErrorCode::RequestFailed as i32);
    insta::assert_snapshot!(error.message);
}

#[test]
fn range_formats_only_the_selection() {
    let mut server = TestServer::new();
    let text = "a{x=1;}\nb{y=2;}\n";
    let (uri, _) = server.open(&fixture("broken.conf"), text);
    let edits =
        server.request::<lsp::request::RangeFormatting>(lsp::DocumentRangeFormattingParams {
            text_document: lsp::TextDocumentIdentifier::new(uri),
            range: lsp::Range::new(lsp::Position::new(1, 0), lsp::Position::new(1, 3)),
            options: Default::default(),
            work_done_progress_params: Default::default(),
        });
    let expected = jailconf_fmt::apply_edits(
        text.as_bytes(),
        &jailconf_fmt::format_range(
            text.as_bytes(),
            8..11,
            &jailconf_fmt::FormatOptions::default(),
            jailconf_parser::Target::V15,
        )
        .unwrap(),
    );
    let got = apply_edits(text, &edits.unwrap());
    assert_eq!(got.as_bytes(), expected.as_slice());
    assert!(got.starts_with("a{x=1;}\n"), "{got}");
}

#[test]
fn crlf_and_non_ascii_documents() {
    let mut server = TestServer::new();
    let text = "# café\r\nweb{host.hostname=\"日本.example\";persist;}\r\n";
    let (uri, _) = server.open(&fixture("unicode.conf"), text);
    let edits = format(&mut server, &uri).unwrap();
    let expected = jailconf_fmt::format(
        text.as_bytes(),
        &jailconf_fmt::FormatOptions::default(),
        jailconf_parser::Target::V15,
    )
    .unwrap();
    assert_eq!(apply_edits(text, &edits).as_bytes(), expected.as_slice());
}
