//! The server: the `initialize` handshake, the main loop, the shared
//! state, and publishing diagnostics.
//!
//! One thread handles the messages. Document changes only record the new
//! text; the analysis runs when the message queue is empty (so a burst of
//! keystrokes is analysed once) or when a request needs it, and
//! diagnostics are then published with the document's version. Lint runs
//! its rules on every core; the semantic index is built, and replaced
//! analyses freed, on another thread once the diagnostics are out.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::TryRecvError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};

use crate::analysis::Analysis;
use crate::convert::{self, PositionEncoding, Spans};
use crate::dispatch::{NotificationDispatcher, RequestDispatcher};
use crate::handlers;
use crate::workspace::Workspace;

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `exit` after `shutdown`: exit status 0.
    Clean,
    /// `exit` without `shutdown`, or the client went away: exit status 1.
    WithoutShutdown,
}

/// A failure that stops the server before the session started.
#[derive(Debug)]
pub struct ServerError(pub String);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServerError {}

/// What the client can do, as far as the server cares.
#[derive(Clone, Debug, Default)]
pub struct ClientCaps {
    /// Hover and documentation may be markdown.
    pub markdown: bool,
    /// Document symbols may be nested.
    pub hierarchical_symbols: bool,
}

/// The server's state.
pub struct Server {
    connection: Connection,
    /// The negotiated position encoding.
    pub encoding: PositionEncoding,
    /// Client capabilities.
    pub caps: ClientCaps,
    /// Documents and analyses.
    pub workspace: Workspace,
    /// Open documents whose diagnostics are due.
    pending: BTreeSet<PathBuf>,
    /// What was last published per file.
    published: HashMap<PathBuf, Vec<lsp::Diagnostic>>,
    shutdown: bool,
}

/// Runs a session on `connection` until `exit` (or until the client goes
/// away).
pub fn run(connection: Connection) -> Result<Exit, ServerError> {
    let Some((id, params)) = wait_for_initialize(&connection)? else {
        return Ok(Exit::WithoutShutdown);
    };
    let params: lsp::InitializeParams = match serde_json::from_value(params) {
        Ok(params) => params,
        Err(error) => {
            let message = format!("invalid initialize parameters: {error}");
            let _ = connection.sender.send(
                Response::new_err(id, ErrorCode::InvalidParams as i32, message.clone()).into(),
            );
            return Err(ServerError(message));
        }
    };
    let encoding = PositionEncoding::negotiate(
        params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    );
    let text_caps = params.capabilities.text_document.as_ref();
    let caps = ClientCaps {
        markdown: text_caps
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_none_or(|formats| formats.contains(&lsp::MarkupKind::Markdown)),
        hierarchical_symbols: text_caps
            .and_then(|t| t.document_symbol.as_ref())
            .and_then(|d| d.hierarchical_document_symbol_support)
            .unwrap_or(false),
    };
    let result = lsp::InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(lsp::ServerInfo {
            name: "jailconf".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    connection
        .sender
        .send(Response::new_ok(id, result).into())
        .map_err(|_| ServerError("the client went away".to_string()))?;
    let mut server = Server {
        connection,
        encoding,
        caps,
        workspace: Workspace::default(),
        pending: BTreeSet::new(),
        published: HashMap::new(),
        shutdown: false,
    };
    Ok(server.main_loop())
}

/// Waits for `initialize`; other requests get `ServerNotInitialized`,
/// notifications are dropped. `None` when `exit` came first.
fn wait_for_initialize(
    connection: &Connection,
) -> Result<Option<(lsp_server::RequestId, serde_json::Value)>, ServerError> {
    loop {
        let message = connection
            .receiver
            .recv()
            .map_err(|_| ServerError("the client went away before `initialize`".to_string()))?;
        match message {
            Message::Request(request) if request.method == req::Initialize::METHOD => {
                return Ok(Some((request.id, request.params)));
            }
            Message::Request(request) => {
                let response = Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized yet".to_string(),
                );
                let _ = connection.sender.send(response.into());
            }
            Message::Notification(n) if n.method == notif::Exit::METHOD => return Ok(None),
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
}

/// What the server offers.
fn capabilities(encoding: PositionEncoding) -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                save: Some(lsp::TextDocumentSyncSaveOptions::SaveOptions(
                    lsp::SaveOptions {
                        include_text: Some(false),
                    },
                )),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![
                "$".to_string(),
                "{".to_string(),
                ".".to_string(),
                "/".to_string(),
            ]),
            ..Default::default()
        }),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        workspace_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_link_provider: Some(lsp::DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: Default::default(),
        }),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_range_formatting_provider: Some(lsp::OneOf::Left(true)),
        semantic_tokens_provider: Some(
            lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lsp::SemanticTokensOptions {
                    legend: convert::semantic_legend(),
                    full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
                    range: Some(true),
                    ..Default::default()
                },
            ),
        ),
        folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
        inlay_hint_provider: Some(lsp::OneOf::Left(true)),
        ..Default::default()
    }
}

impl Server {
    fn main_loop(&mut self) -> Exit {
        loop {
            let message = match self.connection.receiver.try_recv() {
                Ok(message) => message,
                Err(TryRecvError::Empty) => {
                    // Idle: analyse what changed and publish.
                    self.publish_pending();
                    match self.connection.receiver.recv() {
                        Ok(message) => message,
                        Err(_) => return Exit::WithoutShutdown,
                    }
                }
                Err(TryRecvError::Disconnected) => return Exit::WithoutShutdown,
            };
            match message {
                Message::Request(request) => self.on_request(request),
                Message::Notification(n) if n.method == notif::Exit::METHOD => {
                    return if self.shutdown {
                        Exit::Clean
                    } else {
                        Exit::WithoutShutdown
                    };
                }
                Message::Notification(notification) => self.on_notification(notification),
                // The server sends no requests, so expects no responses.
                Message::Response(_) => {}
            }
        }
    }

    fn on_request(&mut self, request: Request) {
        if self.shutdown {
            let response = Response::new_err(
                request.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            );
            self.send(response.into());
            return;
        }
        if request.method == req::Shutdown::METHOD {
            // Diagnostics still due go out before the reply.
            self.publish_pending();
            self.shutdown = true;
            self.send(Response::new_ok(request.id, ()).into());
            return;
        }
        RequestDispatcher::new(request, self)
            .on::<req::Formatting>(handlers::formatting)
            .on::<req::RangeFormatting>(handlers::range_formatting)
            .on::<req::HoverRequest>(handlers::hover)
            .on::<req::Completion>(handlers::completion)
            .on::<req::GotoDefinition>(handlers::definition)
            .on::<req::References>(handlers::references)
            .on::<req::PrepareRenameRequest>(handlers::prepare_rename)
            .on::<req::Rename>(handlers::rename)
            .on::<req::DocumentSymbolRequest>(handlers::document_symbols)
            .on::<req::WorkspaceSymbolRequest>(handlers::workspace_symbols)
            .on::<req::DocumentLinkRequest>(handlers::document_links)
            .on::<req::CodeActionRequest>(handlers::code_actions)
            .on::<req::SemanticTokensFullRequest>(handlers::semantic_tokens_full)
            .on::<req::SemanticTokensRangeRequest>(handlers::semantic_tokens_range)
            .on::<req::FoldingRangeRequest>(handlers::folding_ranges)
            .on::<req::InlayHintRequest>(handlers::inlay_hints)
            .finish();
    }

    fn on_notification(&mut self, notification: Notification) {
        NotificationDispatcher::new(notification, self)
            .on::<notif::DidOpenTextDocument>(handlers::did_open)
            .on::<notif::DidChangeTextDocument>(handlers::did_change)
            .on::<notif::DidSaveTextDocument>(handlers::did_save)
            .on::<notif::DidCloseTextDocument>(handlers::did_close)
            .on::<notif::DidChangeWatchedFiles>(handlers::did_change_watched_files)
            .finish();
    }

    /// Sends a message to the client.
    pub fn send(&self, message: Message) {
        // A closed channel means the client is gone; the loop ends on its
        // next receive.
        let _ = self.connection.sender.send(message);
    }

    /// Logs a message in the client's log.
    pub fn log(&self, kind: lsp::MessageType, message: String) {
        let params = lsp::LogMessageParams { typ: kind, message };
        self.send(Notification::new(notif::LogMessage::METHOD.to_string(), params).into());
    }

    /// Marks documents whose diagnostics must be published when idle.
    pub fn schedule(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        self.pending.extend(paths);
    }

    /// Publishes the diagnostics of every pending document's
    /// configuration.
    pub fn publish_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        let mut done: BTreeSet<PathBuf> = BTreeSet::new();
        let mut published = Vec::new();
        for path in pending {
            if done.contains(&path) || self.workspace.version(&path).is_none() {
                continue;
            }
            let (analysis, paths) = self.publish_project(&path);
            published.push(analysis);
            done.extend(paths);
        }
        self.workspace.after_publish(published);
    }

    /// Publishes diagnostics for every file of the configuration `path`
    /// belongs to; returns its analysis and those files.
    fn publish_project(&mut self, path: &Path) -> (Arc<Analysis>, Vec<PathBuf>) {
        let analysis = self.workspace.analysis(path);
        let spans = Spans {
            analysis: &analysis,
            encoding: self.encoding,
        };
        let mut by_path: HashMap<PathBuf, Vec<lsp::Diagnostic>> = HashMap::new();
        let files = analysis.paths();
        for file in &files {
            by_path.insert(file.clone(), Vec::new());
        }
        for diagnostic in &analysis.diagnostics {
            let file = analysis.path(diagnostic.primary.span.file);
            let converted = spans.diagnostic(diagnostic);
            let list = by_path.entry(file).or_default();
            if !list.contains(&converted) {
                list.push(converted);
            }
        }
        if let Some(error) = &analysis.settings_error {
            for root in &analysis.roots {
                by_path.entry(root.clone()).or_default().insert(
                    0,
                    lsp::Diagnostic {
                        range: lsp::Range::default(),
                        severity: Some(lsp::DiagnosticSeverity::ERROR),
                        source: Some("jailconf".to_string()),
                        message: format!("jailconf.toml is not used: {error}"),
                        ..Default::default()
                    },
                );
            }
        }
        let mut published_files = Vec::new();
        let mut sorted: Vec<(PathBuf, Vec<lsp::Diagnostic>)> = by_path.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (file, diagnostics) in sorted {
            let version = self.workspace.version(&file);
            let unchanged = self.published.get(&file) == Some(&diagnostics);
            published_files.push(file.clone());
            if version.is_none() && unchanged {
                continue;
            }
            let Some(uri) = convert::uri_of(&file) else {
                continue;
            };
            self.published.insert(file, diagnostics.clone());
            let params = lsp::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version,
            };
            self.send(
                Notification::new(notif::PublishDiagnostics::METHOD.to_string(), params).into(),
            );
        }
        (analysis, published_files)
    }

    /// Clears the diagnostics of a file that is no longer analysed.
    pub fn clear_diagnostics(&mut self, path: &Path, uri: lsp::Url) {
        if self.published.remove(path).is_some_and(|d| !d.is_empty()) {
            let params = lsp::PublishDiagnosticsParams {
                uri,
                diagnostics: Vec::new(),
                version: None,
            };
            self.send(
                Notification::new(notif::PublishDiagnostics::METHOD.to_string(), params).into(),
            );
        }
    }
}
