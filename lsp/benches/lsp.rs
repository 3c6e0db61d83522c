//! Language server latency on the 5,000-jail generated buffer (2.7 MB):
//! didChange to publishDiagnostics (target: 50 ms), hover and completion
//! (target: 10 ms each), through the real server over an in-memory
//! connection. The `analysis/*` benchmarks break the diagnostics time
//! down into parsing, the model and lint.

use std::hint::black_box;
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;

#[path = "../../fixtures/large/vnet.rs"]
mod vnet;

/// The allocator of the shipped `jailconf` binary (see `src/main.rs`), so
/// that the bench measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const JAILS: usize = 5000;

struct Client {
    connection: Connection,
    server: Option<JoinHandle<()>>,
    uri: lsp::Url,
    version: i32,
    next_id: i32,
}

impl Client {
    fn start(text: &str) -> Client {
        let (server, connection) = Connection::memory();
        let thread = std::thread::spawn(move || {
            let _ = jailconf_lsp::run(server);
        });
        let path = std::env::temp_dir().join("jailconf-lsp-bench/jail.conf");
        let mut client = Client {
            connection,
            server: Some(thread),
            uri: lsp::Url::from_file_path(&path).expect("absolute"),
            version: 1,
            next_id: 0,
        };
        client.request(
            lsp::request::Initialize::METHOD,
            lsp::InitializeParams::default(),
        );
        client.notify(
            lsp::notification::DidOpenTextDocument::METHOD,
            lsp::DidOpenTextDocumentParams {
                text_document: lsp::TextDocumentItem::new(
                    client.uri.clone(),
                    "jailconf".to_string(),
                    1,
                    text.to_string(),
                ),
            },
        );
        client.await_diagnostics(1);
        client
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        let message = Notification::new(method.to_string(), params);
        self.connection.sender.send(message.into()).expect("server");
    }

    fn request(&mut self, method: &str, params: impl serde::Serialize) -> serde_json::Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let message = Request::new(id.clone(), method.to_string(), params);
        self.connection.sender.send(message.into()).expect("server");
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => {
                    return response.result.expect("a result");
                }
                _ => {}
            }
        }
    }

    fn receive(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers")
    }

    fn await_diagnostics(&self, version: i32) {
        loop {
            if let Message::Notification(n) = self.receive() {
                if n.method == lsp::notification::PublishDiagnostics::METHOD
                    && n.params.get("version") == Some(&serde_json::json!(version))
                {
                    return;
                }
            }
        }
    }

    /// Types or deletes one space at the start of `line`.
    fn edit(&mut self, line: u32) {
        self.version += 1;
        let insert = self.version % 2 == 0;
        let change = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(
                lsp::Position::new(line, 0),
                lsp::Position::new(line, if insert { 0 } else { 1 }),
            )),
            range_length: None,
            text: if insert { " " } else { "" }.to_string(),
        };
        self.notify(
            lsp::notification::DidChangeTextDocument::METHOD,
            lsp::DidChangeTextDocumentParams {
                text_document: lsp::VersionedTextDocumentIdentifier::new(
                    self.uri.clone(),
                    self.version,
                ),
                content_changes: vec![change],
            },
        );
        self.await_diagnostics(self.version);
    }

    fn position(&self, line: u32, character: u32) -> lsp::TextDocumentPositionParams {
        lsp::TextDocumentPositionParams::new(
            lsp::TextDocumentIdentifier::new(self.uri.clone()),
            lsp::Position::new(line, character),
        )
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.request(lsp::request::Shutdown::METHOD, ());
        self.notify(lsp::notification::Exit::METHOD, ());
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

fn lsp_latency(c: &mut Criterion) {
    let text = vnet::vnet_config(JAILS);
    let line_of = |needle: &str| {
        text[..text.find(needle).expect("in text")]
            .matches('\n')
            .count() as u32
    };
    // Inside jail 2500: `$if  = "epair${id}";` (`${id}` at column 14)
    // and a blank line.
    let jail = line_of("vnet2500 {");
    let if_line = jail + 5;
    let blank_line = jail + 8;
    let mut client = Client::start(&text);

    let mut group = c.benchmark_group("lsp");
    group.sample_size(20);
    group.bench_function("didChange_to_publishDiagnostics", |b| {
        b.iter(|| client.edit(blank_line))
    });
    group.sample_size(100);
    group.bench_function("hover_variable", |b| {
        b.iter(|| {
            let params = lsp::HoverParams {
                text_document_position_params: client.position(if_line, 14),
                work_done_progress_params: Default::default(),
            };
            black_box(client.request(lsp::request::HoverRequest::METHOD, params))
        })
    });
    group.bench_function("hover_jail", |b| {
        b.iter(|| {
            let params = lsp::HoverParams {
                text_document_position_params: client.position(jail, 2),
                work_done_progress_params: Default::default(),
            };
            black_box(client.request(lsp::request::HoverRequest::METHOD, params))
        })
    });
    group.bench_function("completion_parameter", |b| {
        b.iter(|| {
            let params = lsp::CompletionParams {
                text_document_position: client.position(blank_line, 0),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            };
            black_box(client.request(lsp::request::Completion::METHOD, params))
        })
    });
    group.bench_function("completion_variable", |b| {
        b.iter(|| {
            let params = lsp::CompletionParams {
                text_document_position: client.position(if_line, 16),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            };
            black_box(client.request(lsp::request::Completion::METHOD, params))
        })
    });
    group.finish();
    drop(client);

    // Where the diagnostics time goes.
    let bytes = text.into_bytes();
    let path = PathBuf::from("/nonexistent/jail.conf");
    let target = jailconf_parser::Target::default();
    let mut group = c.benchmark_group("analysis");
    group.sample_size(20);
    group.bench_function("parse", |b| {
        b.iter(|| black_box(jailconf_parser::parse(&bytes, target)))
    });
    group.bench_function("model", |b| {
        b.iter(|| {
            let main = jailconf_parser::MainFile::from_path(path.clone(), bytes.clone());
            black_box(jailconf_parser::Config::load(
                main,
                &jailconf_parser::DiskLoader,
                target,
            ))
        })
    });
    let main = jailconf_parser::MainFile::from_path(path.clone(), bytes.clone());
    let config = jailconf_parser::Config::load(main, &jailconf_parser::DiskLoader, target);
    group.bench_function("lint", |b| {
        b.iter(|| {
            black_box(jailconf_lint::lint(
                &config,
                &Default::default(),
                &Default::default(),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, lsp_latency);
criterion_main!(benches);
