//! The stdio transport: `Content-Length` frames on standard input and
//! output.
//!
//! lsp-server's own stdio transport stops reading at the first malformed
//! frame, which ends the session. This one answers a frame that is not
//! JSON with a JSON-RPC `ParseError` (id `null`), and JSON that is not a
//! message with `InvalidRequest`, and reads on. Standard output carries
//! nothing but frames.

use std::io::{self, BufRead, Write};
use std::sync::{Arc, Mutex};
use std::thread;

use lsp_server::{Connection, ErrorCode, Message};

/// The reader and writer threads of a stdio connection.
pub struct IoThreads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for both threads (the reader ends at end of input or after
    /// `exit`, the writer when the connection is dropped).
    pub fn join(self) -> io::Result<()> {
        let _ = self.reader.join();
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

/// A connection over standard input and output; fails when the system
/// refuses the threads that read and write them.
pub fn stdio() -> io::Result<(Connection, IoThreads)> {
    let stdout = Arc::new(Mutex::new(io::stdout()));
    let (writer_sender, writer_receiver) = crossbeam_channel::bounded::<Message>(0);
    let out = stdout.clone();
    let writer = thread::Builder::new()
        .name("jailconf-lsp-writer".to_string())
        .spawn(move || {
            for message in writer_receiver {
                let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
                message.write(&mut *out)?;
            }
            Ok(())
        })?;
    let (reader_sender, reader_receiver) = crossbeam_channel::bounded::<Message>(0);
    let reader = thread::Builder::new()
        .name("jailconf-lsp-reader".to_string())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = stdin.lock();
            loop {
                let reply = match read_frame(&mut input) {
                    Ok(Frame::Eof) | Err(_) => break,
                    Ok(Frame::Message(message)) => {
                        let exit =
                            matches!(&message, Message::Notification(n) if n.method == "exit");
                        if reader_sender.send(message).is_err() || exit {
                            break;
                        }
                        continue;
                    }
                    Ok(Frame::Invalid(reply)) => reply,
                };
                let mut out = stdout.lock().unwrap_or_else(|e| e.into_inner());
                if write_frame(&mut *out, &reply).is_err() {
                    break;
                }
            }
        })?;
    Ok((
        Connection {
            sender: writer_sender,
            receiver: reader_receiver,
        },
        IoThreads { reader, writer },
    ))
}

/// What one frame held.
#[derive(Debug)]
pub enum Frame {
    /// The input ended.
    Eof,
    /// A message.
    Message(Message),
    /// Not a message: the error response to send back.
    Invalid(serde_json::Value),
}

/// Reads one frame. Headers other than `Content-Length` are ignored; a
/// frame without it, or with a body that is not a JSON-RPC message, is
/// answered with an error response.
pub fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(Frame::Eof);
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if saw_header {
                break;
            }
            // Blank lines between frames.
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok();
            }
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Invalid(error_reply(
            serde_json::Value::Null,
            ErrorCode::ParseError,
            "missing or invalid Content-Length header",
        )));
    };
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            return Ok(Frame::Invalid(error_reply(
                serde_json::Value::Null,
                ErrorCode::ParseError,
                &format!("malformed JSON: {error}"),
            )))
        }
    };
    let id = value
        .get("id")
        .filter(|id| id.is_number() || id.is_string())
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let has = |key: &str| value.get(key).is_some();
    let parsed = if has("method") && has("id") {
        serde_json::from_value(value).map(Message::Request)
    } else if has("method") {
        serde_json::from_value(value).map(Message::Notification)
    } else if has("id") && (has("result") || has("error")) {
        serde_json::from_value(value).map(Message::Response)
    } else {
        return Ok(Frame::Invalid(error_reply(
            id,
            ErrorCode::InvalidRequest,
            "not a JSON-RPC request, response or notification",
        )));
    };
    match parsed {
        Ok(message) => Ok(Frame::Message(message)),
        Err(error) => Ok(Frame::Invalid(error_reply(
            id,
            ErrorCode::InvalidRequest,
            &format!("not a valid JSON-RPC message: {error}"),
        ))),
    }
}

fn error_reply(id: serde_json::Value, code: ErrorCode, message: &str) -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code as i32, "message": message},
    })
}

fn write_frame(out: &mut impl Write, body: &serde_json::Value) -> io::Result<()> {
    let text = body.to_string();
    write!(out, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<String> {
        let mut reader = io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        loop {
            match read_frame(&mut reader) {
                Ok(Frame::Eof) | Err(_) => break,
                Ok(Frame::Message(m)) => {
                    out.push(format!("message {}", serde_json::to_string(&m).unwrap()))
                }
                Ok(Frame::Invalid(v)) => out.push(format!("invalid {v}")),
            }
        }
        out
    }

    #[test]
    fn reads_and_rejects_frames() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let bad = "{not json";
        let not_message = r#"{"jsonrpc":"2.0","id":7}"#;
        let input = format!(
            "Content-Length: {}\r\n\r\n{good}Content-Length: {}\r\nContent-Type: x\r\n\r\n{bad}Content-Length: {}\r\n\r\n{not_message}X-Other: 1\r\n\r\n",
            good.len(),
            bad.len(),
            not_message.len()
        );
        let got = frames(&input);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(got[0].starts_with("message "));
        assert!(got[1].contains("-32700") && got[1].contains("\"id\":null"));
        assert!(got[2].contains("-32600") && got[2].contains("\"id\":7"));
        assert!(got[3].contains("Content-Length"));
    }
}
