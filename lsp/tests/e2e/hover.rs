//! Hover: parameters from the table, variables expanded per jail, jails
//! with their effective parameters.

use lsp_types as lsp;

use crate::support::{at, find, fixture, uri, TestServer};

fn hover(
    server: &mut TestServer,
    uri: &lsp::Url,
    (line, character): (u32, u32),
) -> Option<lsp::Hover> {
    server.request::<lsp::request::HoverRequest>(lsp::HoverParams {
        text_document_position_params: at(uri, line, character),
        work_done_progress_params: Default::default(),
    })
}

fn basic() -> (TestServer, lsp::Url, String) {
    let mut server = TestServer::new();
    let (uri, _) = server.open_fixture("basic.conf");
    let _ = server.await_diagnostics(&crate::support::uri(&fixture("basic.d/mail.conf")));
    let text = std::fs::read_to_string(fixture("basic.conf")).unwrap();
    (server, uri, text)
}

#[test]
fn parameter_from_the_table() {
    let (mut server, uri, text) = basic();
    let global = hover(&mut server, &uri, find(&text, "exec.start", 3));
    let in_jail = hover(&mut server, &uri, find(&text, "persist;", 0));
    let inherited = hover(&mut server, &uri, find(&text, "ip4.addr = 192.0.2.20", 0));
    let unknown = hover(&mut server, &uri, find(&text, "allow.raw_sokets", 2));
    insta::assert_json_snapshot!(server.redacted(&(global, in_jail, inherited, unknown)));
}

#[test]
fn variable_in_a_jail() {
    let (mut server, uri, text) = basic();
    let reference = hover(&mut server, &uri, find(&text, "${ip}", 2));
    let definition = hover(&mut server, &uri, find(&text, "$ip =", 1));
    insta::assert_json_snapshot!(server.redacted(&(reference, definition)));
}

#[test]
fn variable_in_the_global_section_is_shown_per_jail() {
    let (mut server, uri, text) = basic();
    let name = hover(&mut server, &uri, find(&text, "${name}", 3));
    let domain = hover(&mut server, &uri, find(&text, "${domain}", 3));
    insta::assert_json_snapshot!(server.redacted(&(name, domain)));
}

#[test]
fn jails_and_wildcards() {
    let (mut server, uri, text) = basic();
    let web = hover(&mut server, &uri, find(&text, "web {", 1));
    let prefix = hover(&mut server, &uri, find(&text, "web.cache {", 1));
    let wildcard = hover(&mut server, &uri, find(&text, "\"web.*\"", 2));
    let depend = hover(&mut server, &uri, find(&text, "depend = web", 10));
    insta::assert_json_snapshot!(server.redacted(&(web, prefix, wildcard, depend)));
}

#[test]
fn included_file_uses_the_including_configuration() {
    let (mut server, _, _) = basic();
    // mail.conf is not open: it is analysed as part of basic.conf, so
    // `${domain}` has the value basic.conf gives it.
    let mail = uri(&fixture("basic.d/mail.conf"));
    let text = std::fs::read_to_string(fixture("basic.d/mail.conf")).unwrap();
    let domain = hover(&mut server, &mail, find(&text, "${domain}", 2));
    insta::assert_json_snapshot!(server.redacted(&domain));
}

#[test]
fn nothing_on_whitespace_and_comments() {
    let (mut server, uri, _) = basic();
    assert_eq!(hover(&mut server, &uri, (0, 3)), None);
    assert_eq!(hover(&mut server, &uri, (9, 0)), None);
}
