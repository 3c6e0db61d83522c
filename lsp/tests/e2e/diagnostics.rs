//! Diagnostics: published on open, change and save with the document's
//! version; included files, `jail.conf.d` siblings, open buffers over the
//! disk, and `jailconf.toml`.

use lsp_types as lsp;

use crate::support::{fixture, uri, TestServer};

fn change(server: &mut TestServer, uri: &lsp::Url, version: i32, text: &str) {
    server.notify::<lsp::notification::DidChangeTextDocument>(lsp::DidChangeTextDocumentParams {
        text_document: lsp::VersionedTextDocumentIdentifier::new(uri.clone(), version),
        content_changes: vec![lsp::TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: text.to_string(),
        }],
    });
}

#[test]
fn published_on_open_with_version() {
    let mut server = TestServer::new();
    let (_, diagnostics) = server.open_fixture("basic.conf");
    // The included file has none; its (empty) list is published too.
    let included = server.await_diagnostics(&uri(&fixture("basic.d/mail.conf")));
    assert!(included.diagnostics.is_empty());
    assert_eq!(included.version, None);
    insta::assert_json_snapshot!(server.redacted(&diagnostics));
}

#[test]
fn syntax_errors() {
    let mut server = TestServer::new();
    let (_, diagnostics) = server.open_fixture("broken.conf");
    insta::assert_json_snapshot!(server.redacted(&diagnostics));
}

#[test]
fn republished_on_change_with_the_new_version() {
    let mut server = TestServer::new();
    let path = fixture("broken.conf");
    let (uri, first) = server.open(&path, "web {\n    path = /jails/web\n}\n");
    assert_eq!(first.version, Some(1));
    assert!(!first.diagnostics.is_empty());
    change(
        &mut server,
        &uri,
        2,
        "web {\n    path = \"/jails/web\";\n    persist;\n}\n",
    );
    let second = server.await_diagnostics(&uri);
    assert_eq!(second.version, Some(2));
    assert_eq!(second.diagnostics, Vec::new());
}

#[test]
fn incremental_changes_apply_in_order() {
    let mut server = TestServer::new();
    let path = fixture("broken.conf");
    let (uri, _) = server.open(&path, "web {\n    persist;\n}\n");
    // Two edits in one notification: type `pirsist` over `persist`, then
    // fix the name back and add a parameter.
    server.notify::<lsp::notification::DidChangeTextDocument>(lsp::DidChangeTextDocumentParams {
        text_document: lsp::VersionedTextDocumentIdentifier::new(uri.clone(), 2),
        content_changes: vec![
            lsp::TextDocumentContentChangeEvent {
                range: Some(lsp::Range::new(
                    lsp::Position::new(1, 4),
                    lsp::Position::new(1, 11),
                )),
                range_length: None,
                text: "pirsist".to_string(),
            },
            lsp::TextDocumentContentChangeEvent {
                range: Some(lsp::Range::new(
                    lsp::Position::new(1, 12),
                    lsp::Position::new(1, 12),
                )),
                range_length: None,
                text: " path = \"/j\";".to_string(),
            },
        ],
    });
    let diagnostics = server.await_diagnostics(&uri);
    assert_eq!(diagnostics.version, Some(2));
    let codes: Vec<String> = diagnostics
        .diagnostics
        .iter()
        .map(|d| match &d.code {
            Some(lsp::NumberOrString::String(code)) => code.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert!(codes.contains(&"JC008".to_string()), "{codes:?}");
    let hover = server.request::<lsp::request::HoverRequest>(lsp::HoverParams {
        text_document_position_params: crate::support::at(&uri, 1, 14),
        work_done_progress_params: Default::default(),
    });
    let lsp::HoverContents::Markup(text) = hover.expect("hover on path").contents else {
        panic!("markup expected");
    };
    assert!(text.value.starts_with("**path**"), "{}", text.value);
}

#[test]
fn burst_of_changes_is_analysed_once_per_idle() {
    let mut server = TestServer::new();
    let path = fixture("broken.conf");
    let (uri, _) = server.open(&path, "web { persist; }\n");
    for version in 2..=20 {
        change(
            &mut server,
            &uri,
            version,
            &format!("web {{ persist; securelevel = {version}; }}\n"),
        );
    }
    // However the burst was coalesced, the last publication has the last
    // version.
    loop {
        let published = server.await_diagnostics(&uri);
        if published.version == Some(20) {
            break;
        }
        assert!(published.version < Some(20));
    }
}

#[test]
fn open_buffer_overrides_the_included_file_on_disk() {
    let mut server = TestServer::new();
    let mail = fixture("basic.d/mail.conf");
    // The buffer of the included file uses an undefined variable.
    let (mail_uri, _) = server.open(&mail, "mail {\n    host.hostname = \"${nowhere}\";\n}\n");
    let (_, main) = server.open_fixture("basic.conf");
    assert!(main
        .diagnostics
        .iter()
        .all(|d| !d.message.contains("nowhere")));
    // The included file's diagnostics come from the main file's analysis,
    // with the buffer's version.
    let included = server.await_diagnostics(&mail_uri);
    assert_eq!(included.version, Some(1));
    insta::assert_json_snapshot!(server.redacted(&included));
}

#[test]
fn jail_conf_d_siblings_are_one_configuration() {
    let mut server = TestServer::new();
    let beta = fixture("multi/jail.conf.d/beta.conf");
    let text = std::fs::read_to_string(&beta).unwrap();
    let (beta_uri, diagnostics) = server.open(&beta, &text);
    // As `jailconf lint jail.conf jail.conf.d/` reports it: the duplicate
    // address across the two files is found; `depend` does not reach into
    // another separately read file (JC018); `${fqdn}` is undefined.
    let alpha = server.await_diagnostics(&uri(&fixture("multi/jail.conf.d/alpha.conf")));
    let main = server.await_diagnostics(&uri(&fixture("multi/jail.conf")));
    assert_eq!(alpha.version, None);
    assert!(main.diagnostics.is_empty());
    assert_eq!(diagnostics.uri, beta_uri);
    insta::assert_json_snapshot!(server.redacted(&(diagnostics, alpha)));
}

#[test]
fn settings_file_is_honoured() {
    let mut server = TestServer::new();
    // jailconf.toml ignores JC054 (raw sockets) and targets FreeBSD 14.
    let (uri, diagnostics) = server.open_fixture("settings/jail.conf");
    assert_eq!(diagnostics.diagnostics, Vec::new());
    // ... and sets a 2-space indent.
    let edits = server.request::<lsp::request::Formatting>(lsp::DocumentFormattingParams {
        text_document: lsp::TextDocumentIdentifier::new(uri),
        options: lsp::FormattingOptions {
            tab_size: 8,
            insert_spaces: false,
            ..Default::default()
        },
        work_done_progress_params: Default::default(),
    });
    let text = std::fs::read_to_string(fixture("settings/jail.conf")).unwrap();
    let formatted = crate::support::apply_edits(&text, &edits.unwrap_or_default());
    assert_eq!(
        formatted,
        "web {\n  path = \"/jails/web\";\n  allow.raw_sockets;\n  persist;\n}\n"
    );
}

#[test]
fn bad_settings_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    std::fs::write(root.join("jailconf.toml"), "[format]\nindnet = 2\n").unwrap();
    let path = root.join("jail.conf");
    std::fs::write(&path, "web { persist; }\n").unwrap();
    let mut server = TestServer::new();
    server.redact(&root, "$TMP");
    let (_, diagnostics) = server.open(&path, "web { persist; }\n");
    insta::assert_json_snapshot!(server.redacted(&diagnostics));
}

#[test]
fn saved_and_watched_changes_reanalyse() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let main = root.join("jail.conf");
    std::fs::write(
        &main,
        ".include \"extra.conf\";\nweb { host.hostname = \"${h}\"; persist; }\n",
    )
    .unwrap();
    std::fs::write(root.join("extra.conf"), "").unwrap();
    let mut server = TestServer::new();
    let text = std::fs::read_to_string(&main).unwrap();
    let (main_uri, first) = server.open(&main, &text);
    let _ = server.await_diagnostics(&uri(&root.join("extra.conf")));
    assert_eq!(first.diagnostics.len(), 1, "{:?}", first.diagnostics);
    // Another program defines the variable in the included file.
    std::fs::write(root.join("extra.conf"), "$h = \"web.example.org\";\n").unwrap();
    server.notify::<lsp::notification::DidChangeWatchedFiles>(lsp::DidChangeWatchedFilesParams {
        changes: vec![lsp::FileEvent::new(
            uri(&root.join("extra.conf")),
            lsp::FileChangeType::CHANGED,
        )],
    });
    let second = server.await_diagnostics(&main_uri);
    assert_eq!(second.diagnostics, Vec::new());
    assert_eq!(second.version, Some(1));
    // Saving republishes too.
    server.notify::<lsp::notification::DidSaveTextDocument>(lsp::DidSaveTextDocumentParams {
        text_document: lsp::TextDocumentIdentifier::new(main_uri.clone()),
        text: None,
    });
    let third = server.await_diagnostics(&main_uri);
    assert_eq!(third.version, Some(1));
}

#[test]
fn closing_clears_diagnostics() {
    let mut server = TestServer::new();
    let (uri, diagnostics) = server.open_fixture("broken.conf");
    assert!(!diagnostics.diagnostics.is_empty());
    server.notify::<lsp::notification::DidCloseTextDocument>(lsp::DidCloseTextDocumentParams {
        text_document: lsp::TextDocumentIdentifier::new(uri.clone()),
    });
    let cleared = server.await_diagnostics(&uri);
    assert!(cleared.diagnostics.is_empty());
}
