//! The test client: runs the real server on a thread over
//! `Connection::memory()`, with typed requests and notifications, and
//! fails when a message the test did not read is left over.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use jailconf_lsp::{Exit, ServerError};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response, ResponseError};
use lsp_types::notification::Notification as NotificationTrait;
use lsp_types::request::Request as RequestTrait;
use lsp_types::{self as lsp, Url};
use serde_json::Value;

/// How long to wait for any one message.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The `fixtures/lsp` folder, absolute.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/lsp")
        .canonicalize()
        .expect("fixtures/lsp exists")
}

/// A fixture's path.
pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// A file URI.
pub fn uri(path: &Path) -> Url {
    Url::from_file_path(path).expect("absolute path")
}

/// Client capabilities to start the server with.
#[derive(Clone, Debug)]
pub struct Capabilities {
    /// `general.positionEncodings`.
    pub encodings: Option<Vec<lsp::PositionEncodingKind>>,
    /// Nested document symbols.
    pub hierarchical_symbols: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            encodings: Some(vec![lsp::PositionEncodingKind::UTF16]),
            hierarchical_symbols: true,
        }
    }
}

/// A running server and its client end.
pub struct TestServer {
    client: Connection,
    thread: Option<JoinHandle<Result<Exit, ServerError>>>,
    next_id: i32,
    /// Messages received while waiting for something else.
    unread: VecDeque<Message>,
    /// The server's `initialize` result.
    pub initialize: lsp::InitializeResult,
    /// Path prefixes replaced in snapshots, with their replacements.
    redactions: Vec<(String, String)>,
}

impl TestServer {
    /// Starts a server with default capabilities (UTF-16).
    pub fn new() -> Self {
        TestServer::with(Capabilities::default())
    }

    /// Starts a server with the given capabilities.
    pub fn with(capabilities: Capabilities) -> Self {
        let (server, client) = Connection::memory();
        let thread = std::thread::spawn(move || jailconf_lsp::run(server));
        let mut test = TestServer {
            client,
            thread: Some(thread),
            next_id: 0,
            unread: VecDeque::new(),
            initialize: lsp::InitializeResult::default(),
            redactions: vec![(fixtures().display().to_string(), "$FIXTURES".to_string())],
        };
        let params = lsp::InitializeParams {
            capabilities: lsp::ClientCapabilities {
                general: Some(lsp::GeneralClientCapabilities {
                    position_encodings: capabilities.encodings,
                    ..Default::default()
                }),
                text_document: Some(lsp::TextDocumentClientCapabilities {
                    document_symbol: Some(lsp::DocumentSymbolClientCapabilities {
                        hierarchical_document_symbol_support: Some(
                            capabilities.hierarchical_symbols,
                        ),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        test.initialize = test.request::<lsp::request::Initialize>(params);
        test.notify::<lsp::notification::Initialized>(lsp::InitializedParams {});
        test
    }

    /// Also replaces `path` by `name` in snapshots.
    pub fn redact(&mut self, path: &Path, name: &str) {
        self.redactions
            .insert(0, (path.display().to_string(), name.to_string()));
    }

    fn receive(&mut self) -> Message {
        self.client
            .receiver
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|e| panic!("no message from the server within {TIMEOUT:?}: {e}"))
    }

    /// Sends a request; returns its id.
    pub fn send_request<R: RequestTrait>(&mut self, params: R::Params) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send_raw(Request::new(id.clone(), R::METHOD.to_string(), params).into());
        id
    }

    /// Sends any message.
    pub fn send_raw(&mut self, message: Message) {
        self.client
            .sender
            .send(message)
            .expect("the server is running");
    }

    /// Waits for the response to request `id`.
    pub fn await_response_raw(&mut self, id: &RequestId) -> Response {
        if let Some(at) = self
            .unread
            .iter()
            .position(|m| matches!(m, Message::Response(r) if r.id == *id))
        {
            let Some(Message::Response(response)) = self.unread.remove(at) else {
                unreachable!()
            };
            return response;
        }
        loop {
            match self.receive() {
                Message::Response(response) if response.id == *id => return response,
                other => self.unread.push_back(other),
            }
        }
    }

    /// Waits for the successful response to request `id`.
    pub fn await_response<R: RequestTrait>(&mut self, id: &RequestId) -> R::Result {
        let response = self.await_response_raw(id);
        if let Some(error) = response.error {
            panic!("{} failed: {} ({})", R::METHOD, error.message, error.code);
        }
        serde_json::from_value(response.result.unwrap_or(Value::Null))
            .unwrap_or_else(|e| panic!("bad {} result: {e}", R::METHOD))
    }

    /// Waits for the error response to request `id`.
    pub fn await_error(&mut self, id: &RequestId) -> ResponseError {
        let response = self.await_response_raw(id);
        response
            .error
            .unwrap_or_else(|| panic!("expected an error, got {:?}", response.result))
    }

    /// Sends a request and waits for its result.
    pub fn request<R: RequestTrait>(&mut self, params: R::Params) -> R::Result {
        let id = self.send_request::<R>(params);
        self.await_response::<R>(&id)
    }

    /// Sends a notification.
    pub fn notify<N: NotificationTrait>(&mut self, params: N::Params) {
        self.send_raw(Notification::new(N::METHOD.to_string(), params).into());
    }

    /// Waits for the next notification of type `N` that `accept` accepts.
    pub fn await_notification_where<N: NotificationTrait>(
        &mut self,
        accept: impl Fn(&N::Params) -> bool,
    ) -> N::Params {
        let parse = |n: &Notification| -> Option<N::Params> {
            (n.method == N::METHOD)
                .then(|| {
                    serde_json::from_value(n.params.clone()).expect("well-formed notification")
                })
                .filter(|p| accept(p))
        };
        for at in 0..self.unread.len() {
            if let Message::Notification(n) = &self.unread[at] {
                if let Some(params) = parse(n) {
                    self.unread.remove(at);
                    return params;
                }
            }
        }
        loop {
            match self.receive() {
                Message::Notification(n) => match parse(&n) {
                    Some(params) => return params,
                    None => self.unread.push_back(Message::Notification(n)),
                },
                other => self.unread.push_back(other),
            }
        }
    }

    /// Waits for the diagnostics of `uri`.
    pub fn await_diagnostics(&mut self, uri: &Url) -> lsp::PublishDiagnosticsParams {
        self.await_notification_where::<lsp::notification::PublishDiagnostics>(|p| p.uri == *uri)
    }

    /// Opens a document and waits for its diagnostics.
    pub fn open(&mut self, path: &Path, text: &str) -> (Url, lsp::PublishDiagnosticsParams) {
        let uri = uri(path);
        self.open_no_wait(&uri, text);
        let diagnostics = self.await_diagnostics(&uri);
        (uri, diagnostics)
    }

    /// Opens a document without waiting for anything.
    pub fn open_no_wait(&mut self, uri: &Url, text: &str) {
        self.notify::<lsp::notification::DidOpenTextDocument>(lsp::DidOpenTextDocumentParams {
            text_document: lsp::TextDocumentItem::new(
                uri.clone(),
                "jailconf".to_string(),
                1,
                text.to_string(),
            ),
        });
    }

    /// Opens a fixture file as it is on disk.
    pub fn open_fixture(&mut self, name: &str) -> (Url, lsp::PublishDiagnosticsParams) {
        let path = fixture(name);
        let text = std::fs::read_to_string(&path).expect("fixture readable");
        self.open(&path, &text)
    }

    /// A JSON value with the fixture and temporary paths replaced, for
    /// snapshots.
    pub fn redacted(&self, value: impl serde::Serialize) -> Value {
        let mut value = serde_json::to_value(value).expect("serializable");
        self.redact_value(&mut value);
        value
    }

    fn redact_value(&self, value: &mut Value) {
        match value {
            Value::String(s) => {
                for (from, to) in &self.redactions {
                    *s = s.replace(from.as_str(), to);
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.redact_value(v)),
            Value::Object(map) => {
                let entries: Vec<(String, Value)> = std::mem::take(map).into_iter().collect();
                for (mut key, mut v) in entries {
                    for (from, to) in &self.redactions {
                        key = key.replace(from.as_str(), to);
                    }
                    self.redact_value(&mut v);
                    map.insert(key, v);
                }
            }
            _ => {}
        }
    }

    /// Ends the session with `shutdown` and `exit`; returns how the
    /// server says it ended.
    pub fn shutdown(mut self) -> Exit {
        self.finish(true)
    }

    /// Sends `exit` (after the test sent `shutdown` itself).
    pub fn exit(mut self) -> Exit {
        self.finish(false)
    }

    /// Ends the session, dropping diagnostics the test did not read
    /// (other messages left unread still fail the test).
    pub fn shutdown_ignoring_diagnostics(mut self) -> Exit {
        self.unread.retain(|m| !is_diagnostics(m));
        let id = self.send_request::<lsp::request::Shutdown>(());
        let response = self.await_response_raw(&id);
        assert!(response.error.is_none(), "shutdown failed: {response:?}");
        self.unread.retain(|m| !is_diagnostics(m));
        self.finish(false)
    }

    fn finish(&mut self, shutdown: bool) -> Exit {
        if shutdown {
            let id = self.send_request::<lsp::request::Shutdown>(());
            let response = self.await_response_raw(&id);
            assert!(response.error.is_none(), "shutdown failed: {response:?}");
        }
        self.notify::<lsp::notification::Exit>(());
        let exit = self
            .thread
            .take()
            .expect("not finished twice")
            .join()
            .expect("the server thread panicked")
            .expect("the server ran");
        while let Ok(message) = self.client.receiver.try_recv() {
            self.unread.push_back(message);
        }
        let unread = std::mem::take(&mut self.unread);
        assert!(
            unread.is_empty(),
            "messages the test did not read: {:#?}",
            unread
        );
        exit
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if self.thread.is_some() && !std::thread::panicking() {
            self.finish(true);
        }
    }
}

fn is_diagnostics(message: &Message) -> bool {
    matches!(message, Message::Notification(n) if n.method == "textDocument/publishDiagnostics")
}

/// A position.
pub fn pos(line: u32, character: u32) -> lsp::Position {
    lsp::Position::new(line, character)
}

/// Text document position parameters.
pub fn at(uri: &Url, line: u32, character: u32) -> lsp::TextDocumentPositionParams {
    lsp::TextDocumentPositionParams::new(
        lsp::TextDocumentIdentifier::new(uri.clone()),
        pos(line, character),
    )
}

/// The line and column of the first occurrence of `needle` in `text`
/// (UTF-16 columns), plus `delta` columns.
pub fn find(text: &str, needle: &str, delta: u32) -> (u32, u32) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the text"));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].encode_utf16().count() as u32;
    (line, column + delta)
}

/// Applies protocol text edits (UTF-16 positions, LF text) to `text`.
pub fn apply_edits(text: &str, edits: &[lsp::TextEdit]) -> String {
    let offset = |position: lsp::Position| -> usize {
        let mut line_start = 0;
        for _ in 0..position.line {
            line_start += text[line_start..]
                .find('\n')
                .map_or(text.len() - line_start, |i| i + 1);
        }
        let line = &text[line_start..];
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= position.character as usize || c == '\n' || c == '\r' {
                return line_start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut sorted: Vec<&lsp::TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.range.start.line, e.range.start.character)));
    let mut out = text.to_string();
    for edit in sorted {
        let (start, end) = (offset(edit.range.start), offset(edit.range.end));
        out.replace_range(start..end, &edit.new_text);
    }
    out
}
