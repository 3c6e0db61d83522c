//! The protocol's edges: unknown methods, bad parameters, requests before
//! `initialize` and after `shutdown`, `exit` with and without `shutdown`,
//! and a 5 MB document.

use std::time::{Duration, Instant};

use jailconf_lsp::Exit;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId};
use lsp_types as lsp;

use crate::support::{at, fixture, TestServer};

#[path = "../../../fixtures/large/vnet.rs"]
mod vnet;

#[test]
fn capabilities_snapshot() {
    let server = TestServer::new();
    insta::assert_json_snapshot!(server.redacted(&server.initialize));
}

#[test]
fn unknown_method_is_method_not_found() {
    let mut server = TestServer::new();
    server.send_raw(Request::new(RequestId::from(900), "jailconf/unknown".to_string(), ()).into());
    let error = server.await_error(&RequestId::from(900));
    assert_eq!(error.code, ErrorCode::MethodNotFound as i32);
    // Unknown notifications are ignored.
    server.send_raw(Notification::new("$/unknown".to_string(), ()).into());
    assert_eq!(server.shutdown(), Exit::Clean);
}

#[test]
fn bad_parameters_are_invalid_params_and_the_server_goes_on() {
    let mut server = TestServer::new();
    server.send_raw(
        Request::new(
            RequestId::from(901),
            "textDocument/hover".to_string(),
            serde_json::json!({"textDocument": 5}),
        )
        .into(),
    );
    let error = server.await_error(&RequestId::from(901));
    assert_eq!(error.code, ErrorCode::InvalidParams as i32);
    // A notification with bad parameters is logged.
    server.send_raw(
        Notification::new(
            "textDocument/didOpen".to_string(),
            serde_json::json!({"textDocument": {}}),
        )
        .into(),
    );
    let log = server.await_notification_where::<lsp::notification::LogMessage>(|_| true);
    assert_eq!(log.typ, lsp::MessageType::ERROR);
    // A request about a document nobody opened (and that does not exist).
    let id = server.send_request::<lsp::request::HoverRequest>(lsp::HoverParams {
        text_document_position_params: at(&crate::support::uri(&fixture("nowhere.conf")), 0, 0),
        work_done_progress_params: Default::default(),
    });
    let error = server.await_error(&id);
    assert_eq!(error.code, ErrorCode::InvalidParams as i32);
    // Still running.
    let (_, diagnostics) = server.open_fixture("broken.conf");
    assert!(!diagnostics.diagnostics.is_empty());
}

#[test]
fn requests_after_shutdown_are_invalid() {
    let mut server = TestServer::new();
    let id = server.send_request::<lsp::request::Shutdown>(());
    server.await_response::<lsp::request::Shutdown>(&id);
    let id = server.send_request::<lsp::request::HoverRequest>(lsp::HoverParams {
        text_document_position_params: at(&crate::support::uri(&fixture("basic.conf")), 0, 0),
        work_done_progress_params: Default::default(),
    });
    let error = server.await_error(&id);
    assert_eq!(error.code, ErrorCode::InvalidRequest as i32);
    // `exit` now ends the session cleanly (shutdown was already sent).
    assert_eq!(server.exit(), Exit::Clean);
}

#[test]
fn exit_without_shutdown() {
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || jailconf_lsp::run(server));
    client
        .sender
        .send(
            Request::new(
                RequestId::from(1),
                "initialize".to_string(),
                lsp::InitializeParams::default(),
            )
            .into(),
        )
        .unwrap();
    let Ok(Message::Response(response)) = client.receiver.recv_timeout(Duration::from_secs(10))
    else {
        panic!("initialize response expected");
    };
    assert!(response.error.is_none());
    client
        .sender
        .send(Notification::new("exit".to_string(), ()).into())
        .unwrap();
    assert_eq!(thread.join().unwrap().unwrap(), Exit::WithoutShutdown);
}

#[test]
fn requests_before_initialize() {
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || jailconf_lsp::run(server));
    client
        .sender
        .send(Request::new(RequestId::from(1), "textDocument/hover".to_string(), ()).into())
        .unwrap();
    let Ok(Message::Response(response)) = client.receiver.recv_timeout(Duration::from_secs(10))
    else {
        panic!("a response expected");
    };
    assert_eq!(
        response.error.unwrap().code,
        ErrorCode::ServerNotInitialized as i32
    );
    client
        .sender
        .send(Notification::new("exit".to_string(), ()).into())
        .unwrap();
    assert_eq!(thread.join().unwrap().unwrap(), Exit::WithoutShutdown);
}

#[test]
fn a_five_megabyte_document_stays_responsive() {
    let text = vnet::vnet_config(9_500);
    assert!(text.len() > 5_000_000, "{} bytes", text.len());
    let mut server = TestServer::new();
    let (uri, diagnostics) = server.open(&fixture("large.conf"), &text);
    assert_eq!(diagnostics.version, Some(1));
    // Once analysed, requests answer from the cached analysis.
    let line = text[..text.find("vnet9000 {").unwrap()]
        .matches('\n')
        .count() as u32;
    let started = Instant::now();
    for _ in 0..20 {
        let hover = server.request::<lsp::request::HoverRequest>(lsp::HoverParams {
            text_document_position_params: at(&uri, line + 2, 2),
            work_done_progress_params: Default::default(),
        });
        assert!(hover.is_some());
        let completion = server.request::<lsp::request::Completion>(lsp::CompletionParams {
            text_document_position: at(&uri, line + 2, 5),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: None,
        });
        assert!(completion.is_some());
    }
    let per_request = started.elapsed() / 40;
    // Generous for unoptimised test builds; see the benchmark for figures.
    assert!(
        per_request < Duration::from_millis(500),
        "{per_request:?} per request"
    );
}
