//! Completion: parameter names, values, variables, jail names, paths.

use lsp_types as lsp;

use crate::support::{at, fixture, TestServer};

fn complete(
    server: &mut TestServer,
    uri: &lsp::Url,
    line: u32,
    character: u32,
) -> lsp::CompletionList {
    let response = server.request::<lsp::request::Completion>(lsp::CompletionParams {
        text_document_position: at(uri, line, character),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
        context: None,
    });
    match response {
        Some(lsp::CompletionResponse::List(list)) => list,
        other => panic!("a completion list expected, got {other:?}"),
    }
}

/// Labels, and the edit of the first item.
fn summary(list: &lsp::CompletionList) -> (Vec<String>, Option<lsp::CompletionTextEdit>) {
    (
        list.items.iter().map(|i| i.label.clone()).collect(),
        list.items.first().and_then(|i| i.text_edit.clone()),
    )
}

/// Opens `text` as a document beside the fixtures (so `.include` paths
/// resolve there).
fn open(server: &mut TestServer, text: &str) -> lsp::Url {
    let (uri, _) = server.open(&fixture("scratch.conf"), text);
    uri
}

#[test]
fn parameter_names_in_a_block_and_at_top_level() {
    let mut server = TestServer::new();
    let uri = open(&mut server, "allow.m\nweb {\n    per\n}\n");
    let top = complete(&mut server, &uri, 0, 7);
    let block = complete(&mut server, &uri, 2, 7);
    let top_labels = summary(&top).0;
    assert!(top_labels.contains(&".include".to_string()));
    assert!(top_labels.contains(&"allow.mount".to_string()));
    // `name` comes from the block name; `jid` only makes sense in a block;
    // read-only parameters cannot be set.
    assert!(!top_labels.contains(&"name".to_string()));
    assert!(!top_labels.contains(&"jid".to_string()));
    assert!(!top_labels.contains(&"dying".to_string()));
    let block_labels = summary(&block).0;
    assert!(!block_labels.contains(&".include".to_string()));
    assert!(block_labels.contains(&"jid".to_string()));
    let persist = block.items.iter().find(|i| i.label == "persist").unwrap();
    insta::assert_json_snapshot!(server.redacted(persist));
}

#[test]
fn boolean_and_jailsys_values() {
    let mut server = TestServer::new();
    let uri = open(
        &mut server,
        "web {\n    persist = ;\n    vnet = n;\n    ip4 = \n}\n",
    );
    let boolean = summary(&complete(&mut server, &uri, 1, 14));
    let vnet = summary(&complete(&mut server, &uri, 2, 12));
    let ip4 = summary(&complete(&mut server, &uri, 3, 10));
    insta::assert_json_snapshot!(server.redacted(&(boolean, vnet, ip4)));
}

#[test]
fn variables_in_scope() {
    let mut server = TestServer::new();
    let text = "$domain = \"example.org\";\nweb {\n    $ip = 10.0.0.1;\n    host.hostname = \"${name}.$\";\n    ip4.addr = ${i}\n}\n";
    let uri = open(&mut server, text);
    let after_dollar = complete(&mut server, &uri, 3, 30);
    let braced = complete(&mut server, &uri, 4, 18);
    insta::assert_json_snapshot!(server.redacted(&(
        summary(&after_dollar),
        after_dollar.items,
        summary(&braced)
    )));
}

#[test]
fn jail_names_in_depend() {
    let mut server = TestServer::new();
    let uri = open(
        &mut server,
        "web { persist; }\ndb { persist; }\napp {\n    depend = \n}\n",
    );
    let list = complete(&mut server, &uri, 3, 13);
    insta::assert_json_snapshot!(server.redacted(summary(&list)));
}

#[test]
fn paths_in_include() {
    let mut server = TestServer::new();
    let uri = open(&mut server, ".include \"basic.d/\";\n.include \"mul\";\n");
    let inside = complete(&mut server, &uri, 0, 18);
    let partial = complete(&mut server, &uri, 1, 13);
    let labels = summary(&partial).0;
    assert!(labels.contains(&"multi/".to_string()), "{labels:?}");
    insta::assert_json_snapshot!(server.redacted(&(
        summary(&inside),
        partial.items.iter().find(|i| i.label == "multi/")
    )));
}

#[test]
fn nothing_inside_comments() {
    let mut server = TestServer::new();
    let uri = open(&mut server, "# per\nweb { persist; }\n");
    assert!(complete(&mut server, &uri, 0, 5).items.is_empty());
}
