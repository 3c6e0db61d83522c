//! Go to definition, references and rename.

use lsp_types as lsp;

use crate::support::{at, find, fixture, uri, TestServer};

fn definition(
    server: &mut TestServer,
    uri: &lsp::Url,
    (line, character): (u32, u32),
) -> Option<lsp::GotoDefinitionResponse> {
    server.request::<lsp::request::GotoDefinition>(lsp::GotoDefinitionParams {
        text_document_position_params: at(uri, line, character),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
    })
}

fn references(
    server: &mut TestServer,
    uri: &lsp::Url,
    (line, character): (u32, u32),
    declaration: bool,
) -> Option<Vec<lsp::Location>> {
    server.request::<lsp::request::References>(lsp::ReferenceParams {
        text_document_position: at(uri, line, character),
        work_done_progress_params: Default::default(),
        partial_result_params: Default::default(),
        context: lsp::ReferenceContext {
            include_declaration: declaration,
        },
    })
}

fn rename(
    server: &mut TestServer,
    uri: &lsp::Url,
    (line, character): (u32, u32),
    new_name: &str,
) -> Result<Option<lsp::WorkspaceEdit>, lsp_server::ResponseError> {
    let id = server.send_request::<lsp::request::Rename>(lsp::RenameParams {
        text_document_position: at(uri, line, character),
        new_name: new_name.to_string(),
        work_done_progress_params: Default::default(),
    });
    let response = server.await_response_raw(&id);
    match response.error {
        Some(error) => Err(error),
        None => Ok(serde_json::from_value(response.result.unwrap()).unwrap()),
    }
}

fn basic() -> (TestServer, lsp::Url, String) {
    let mut server = TestServer::new();
    let (uri, _) = server.open_fixture("basic.conf");
    let _ = server.await_diagnostics(&crate::support::uri(&fixture("basic.d/mail.conf")));
    let text = std::fs::read_to_string(fixture("basic.conf")).unwrap();
    (server, uri, text)
}

#[test]
fn variable_definition_and_references() {
    let (mut server, uri, text) = basic();
    let in_jail = definition(&mut server, &uri, find(&text, "${ip}", 2));
    // From the global section, `${domain}` has one definition; from the
    // included file too.
    let global = definition(&mut server, &uri, find(&text, "${domain}", 2));
    let refs = references(&mut server, &uri, find(&text, "$domain =", 2), true);
    let refs_only = references(&mut server, &uri, find(&text, "$domain =", 2), false);
    insta::assert_json_snapshot!(server.redacted(&(in_jail, global, refs, refs_only)));
}

#[test]
fn where_a_jail_parameter_comes_from() {
    let mut server = TestServer::new();
    let text = "path = \"/jails/${name}\";\nexec.start = \"/bin/sh /etc/rc\";\n\"*\" { exec.start += \"/usr/local/bin/db\"; }\ndb1 {\n    exec.start += \"echo started\";\n    persist;\n}\n";
    let (uri, _) = server.open(&fixture("scratch.conf"), text);
    // On `exec.start` in db1: the global `=`, the wildcard's `+=`, its own `+=`.
    let chain = definition(&mut server, &uri, find(text, "exec.start += \"echo", 2));
    insta::assert_json_snapshot!(server.redacted(&chain));
}

#[test]
fn jail_definition_and_references() {
    let (mut server, uri, text) = basic();
    let from_depend = definition(&mut server, &uri, find(&text, "depend = web", 10));
    let from_prefix = definition(&mut server, &uri, find(&text, "web.cache {", 1));
    // `db` is used by `web.cache` here and by `mail` in the included file.
    let refs = references(&mut server, &uri, find(&text, "db {", 0), true);
    insta::assert_json_snapshot!(server.redacted(&(from_depend, from_prefix, refs)));
}

#[test]
fn rename_variable_everywhere() {
    let (mut server, uri, text) = basic();
    let prepare = server.request::<lsp::request::PrepareRenameRequest>(at(
        &uri,
        find(&text, "${domain}", 3).0,
        find(&text, "${domain}", 3).1,
    ));
    let edit = rename(&mut server, &uri, find(&text, "${domain}", 3), "zone").unwrap();
    // A dotted name needs braces where the reference had none.
    let dotted = rename(&mut server, &uri, find(&text, "${ip}", 3), "net.ip").unwrap();
    insta::assert_json_snapshot!(server.redacted(&(prepare, edit, dotted)));
}

#[test]
fn rename_jail_in_all_files() {
    let mut server = TestServer::new();
    let beta = fixture("multi/jail.conf.d/beta.conf");
    let text = std::fs::read_to_string(&beta).unwrap();
    let (beta_uri, _) = server.open(&beta, &text);
    let _ = server.await_diagnostics(&uri(&fixture("multi/jail.conf.d/alpha.conf")));
    let _ = server.await_diagnostics(&uri(&fixture("multi/jail.conf")));
    // From the `depend` value in beta.conf: the block is in alpha.conf.
    let edit = rename(&mut server, &beta_uri, find(&text, "alpha", 2), "gamma").unwrap();
    insta::assert_json_snapshot!(server.redacted(&edit));
}

#[test]
fn rename_nested_and_dotted_jails() {
    let mut server = TestServer::new();
    let text = "web { persist; }\nweb.cache { depend = web; persist; }\nhost {\n    persist;\n    child { depend = web.cache; persist; }\n}\n";
    let (uri, _) = server.open(&fixture("scratch.conf"), text);
    let web = rename(&mut server, &uri, find(text, "web {", 0), "www").unwrap();
    let nested_ok = rename(&mut server, &uri, find(text, "child", 1), "host.kid").unwrap();
    let nested_bad = rename(&mut server, &uri, find(text, "child", 1), "other.kid").unwrap_err();
    let invalid = rename(&mut server, &uri, find(text, "web {", 0), "two words").unwrap_err();
    let parameter = rename(&mut server, &uri, find(text, "persist", 0), "x").unwrap_err();
    insta::assert_json_snapshot!(server.redacted(&(
        web,
        nested_ok,
        nested_bad.message,
        invalid.message,
        parameter.message
    )));
}
