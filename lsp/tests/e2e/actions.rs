//! Code actions: lint fixes, quoting a wildcard name, a missing `;`.

use lsp_types as lsp;

use crate::support::{apply_edits, fixture, TestServer};

fn actions(server: &mut TestServer, uri: &lsp::Url, range: lsp::Range) -> Vec<lsp::CodeAction> {
    let response = server.request::<lsp::request::CodeActionRequest>(lsp::CodeActionParams {
        text_document: lsp::TextDocumentIdentifier::new(uri.clone()),
        range,
        context: Default::default(),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    response
        .unwrap_or_default()
        .into_iter()
        .map(|a| match a {
            lsp::CodeActionOrCommand::CodeAction(action) => action,
            lsp::CodeActionOrCommand::Command(c) => panic!("unexpected command {c:?}"),
        })
        .collect()
}

fn whole(text: &str) -> lsp::Range {
    lsp::Range::new(
        lsp::Position::new(0, 0),
        lsp::Position::new(text.lines().count() as u32, 0),
    )
}

fn edits_for<'a>(action: &'a lsp::CodeAction, uri: &lsp::Url) -> &'a [lsp::TextEdit] {
    action
        .edit
        .as_ref()
        .and_then(|e| e.changes.as_ref())
        .and_then(|c| c.get(uri))
        .map_or(&[], Vec::as_slice)
}

#[test]
fn lint_fixes_safe_first() {
    let mut server = TestServer::new();
    let text = std::fs::read_to_string(fixture("basic.conf")).unwrap();
    let (uri, _) = server.open_fixture("basic.conf");
    let _ = server.await_diagnostics(&crate::support::uri(&fixture("basic.d/mail.conf")));
    let found = actions(&mut server, &uri, whole(&text));
    let titles: Vec<(&str, Option<bool>)> = found
        .iter()
        .map(|a| (a.title.as_str(), a.is_preferred))
        .collect();
    insta::assert_json_snapshot!(titles);
    // The safe fix (the overridden `securelevel = 3`) comes first.
    let fixed = apply_edits(&text, edits_for(&found[0], &uri));
    assert!(!fixed.contains("securelevel = 3"));
    assert!(fixed.contains("securelevel = 2"));
    insta::assert_json_snapshot!(server.redacted(&found[1]));
}

#[test]
fn missing_semicolon_and_wildcard_quoting() {
    let mut server = TestServer::new();
    let text = std::fs::read_to_string(fixture("broken.conf")).unwrap();
    let (uri, _) = server.open_fixture("broken.conf");
    let found = actions(&mut server, &uri, whole(&text));
    let titles: Vec<&str> = found.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Add missing `;`", "Quote the wildcard name: `\"web.*\"`"]
    );
    let mut fixed = text.clone();
    for action in &found {
        fixed = apply_edits(&fixed, edits_for(action, &uri));
    }
    assert_eq!(
        fixed,
        "web {\n    path = /jails/web;\n    persist;\n}\n\n\"web.*\" {\n    devfs_ruleset = 4;\n}\n"
    );
    insta::assert_json_snapshot!(server.redacted(&found));
}

#[test]
fn only_actions_touching_the_range() {
    let mut server = TestServer::new();
    let (uri, _) = server.open_fixture("broken.conf");
    let found = actions(
        &mut server,
        &uri,
        lsp::Range::new(lsp::Position::new(5, 0), lsp::Position::new(5, 2)),
    );
    assert_eq!(found.len(), 1);
    assert!(found[0].title.starts_with("Quote"));
    // Asking for refactorings only: none.
    let response = server.request::<lsp::request::CodeActionRequest>(lsp::CodeActionParams {
        text_document: lsp::TextDocumentIdentifier::new(uri),
        range: lsp::Range::default(),
        context: lsp::CodeActionContext {
            diagnostics: Vec::new(),
            only: Some(vec![lsp::CodeActionKind::REFACTOR]),
            trigger_kind: None,
        },
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    });
    assert_eq!(response, Some(Vec::new()));
}
