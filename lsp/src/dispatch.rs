//! Typed dispatch of requests and notifications to handlers (in the shape
//! of rust-analyzer's `RequestDispatcher`): parameters that do not parse
//! get `InvalidParams`, a panicking handler gets `InternalError`, an
//! unknown method `MethodNotFound`; the server keeps running in every
//! case.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lsp_server::{ErrorCode, Notification, Request, Response};
use lsp_types::notification::Notification as NotificationTrait;
use lsp_types::request::Request as RequestTrait;

use crate::server::Server;

/// Why a request failed.
#[derive(Debug)]
pub struct HandlerError {
    /// The JSON-RPC error code.
    pub code: ErrorCode,
    /// What went wrong.
    pub message: String,
}

impl HandlerError {
    /// A request that was well-formed but could not be carried out.
    pub fn failed(message: impl Into<String>) -> Self {
        HandlerError {
            code: ErrorCode::RequestFailed,
            message: message.into(),
        }
    }

    /// A request about a document the server does not know.
    pub fn unknown_document(uri: &lsp_types::Url) -> Self {
        HandlerError {
            code: ErrorCode::InvalidParams,
            message: format!("unknown document {uri}: open it first"),
        }
    }
}

/// The result of a handler.
pub type HandlerResult<T> = Result<T, HandlerError>;

/// Routes one request to the handler registered for its method.
pub struct RequestDispatcher<'a> {
    request: Option<Request>,
    server: &'a mut Server,
}

impl<'a> RequestDispatcher<'a> {
    /// A dispatcher for `request`.
    pub fn new(request: Request, server: &'a mut Server) -> Self {
        RequestDispatcher {
            request: Some(request),
            server,
        }
    }

    /// Handles the request with `handler` if its method is `R`'s.
    pub fn on<R: RequestTrait>(
        &mut self,
        handler: fn(&mut Server, R::Params) -> HandlerResult<R::Result>,
    ) -> &mut Self {
        let Some(request) = self.request.take_if(|r| r.method == R::METHOD) else {
            return self;
        };
        let id = request.id.clone();
        let response = match serde_json::from_value::<R::Params>(request.params) {
            Err(error) => Response::new_err(
                id,
                ErrorCode::InvalidParams as i32,
                format!("invalid parameters for {}: {error}", R::METHOD),
            ),
            Ok(params) => {
                let server = &mut *self.server;
                match catch_unwind(AssertUnwindSafe(|| handler(server, params))) {
                    Ok(Ok(result)) => Response::new_ok(id, result),
                    Ok(Err(error)) => Response::new_err(id, error.code as i32, error.message),
                    Err(panic) => Response::new_err(
                        id,
                        ErrorCode::InternalError as i32,
                        format!("internal error in {}: {}", R::METHOD, panic_message(&panic)),
                    ),
                }
            }
        };
        self.server.send(response.into());
        self
    }

    /// Answers a request no handler took with `MethodNotFound`.
    pub fn finish(&mut self) {
        if let Some(request) = self.request.take() {
            let response = Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("unknown method {}", request.method),
            );
            self.server.send(response.into());
        }
    }
}

/// Routes one notification to the handler registered for its method.
pub struct NotificationDispatcher<'a> {
    notification: Option<Notification>,
    server: &'a mut Server,
}

impl<'a> NotificationDispatcher<'a> {
    /// A dispatcher for `notification`.
    pub fn new(notification: Notification, server: &'a mut Server) -> Self {
        NotificationDispatcher {
            notification: Some(notification),
            server,
        }
    }

    /// Handles the notification with `handler` if its method is `N`'s.
    /// Notifications have no reply: problems are logged to the client.
    pub fn on<N: NotificationTrait>(
        &mut self,
        handler: fn(&mut Server, N::Params) -> Result<(), String>,
    ) -> &mut Self {
        let Some(notification) = self.notification.take_if(|n| n.method == N::METHOD) else {
            return self;
        };
        let problem = match serde_json::from_value::<N::Params>(notification.params) {
            Err(error) => Some(format!("invalid parameters for {}: {error}", N::METHOD)),
            Ok(params) => {
                let server = &mut *self.server;
                match catch_unwind(AssertUnwindSafe(|| handler(server, params))) {
                    Ok(Ok(())) => None,
                    Ok(Err(message)) => Some(message),
                    Err(panic) => Some(format!(
                        "internal error in {}: {}",
                        N::METHOD,
                        panic_message(&panic)
                    )),
                }
            }
        };
        if let Some(message) = problem {
            self.server.log(lsp_types::MessageType::ERROR, message);
        }
        self
    }

    /// Ignores a notification no handler took (the protocol says unknown
    /// notifications are dropped).
    pub fn finish(&mut self) {
        self.notification = None;
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}
