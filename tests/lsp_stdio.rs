//! Smoke test of `jailconf lsp` over real standard input and output:
//! raw `Content-Length` frames in (some of them malformed), nothing but
//! well-formed frames out, the right exit status.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Runs `jailconf lsp` on `input`; returns the frames it wrote and its
/// exit status.
fn run(input: Vec<u8>) -> (Vec<Value>, Option<i32>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jailconf"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jailconf runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&input).expect("input written");
    drop(stdin);
    let (done, wait) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = wait
        .recv_timeout(Duration::from_secs(60))
        .expect("jailconf lsp ends within a minute")
        .expect("output collected");
    let mut frames = Vec::new();
    let mut rest: &[u8] = &output.stdout;
    while !rest.is_empty() {
        let header_end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("not a frame: {:?}", String::from_utf8_lossy(rest)));
        let header = std::str::from_utf8(&rest[..header_end]).expect("ASCII header");
        let length: usize = header
            .strip_prefix("Content-Length: ")
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("bad header {header:?}"));
        let body = &rest[header_end + 4..header_end + 4 + length];
        frames.push(serde_json::from_slice(body).expect("JSON body"));
        rest = &rest[header_end + 4 + length..];
    }
    (frames, output.status.code())
}

fn response(frames: &[Value], id: Value) -> &Value {
    frames
        .iter()
        .find(|f| f.get("id") == Some(&id) && f.get("method").is_none())
        .unwrap_or_else(|| panic!("no response to {id} in {frames:#?}"))
}

#[test]
fn frames_in_frames_out() {
    let path = std::env::temp_dir().join("jailconf-lsp-stdio/jail.conf");
    let uri = format!("file://{}", path.display());
    let text = "web {\n    persist;\n    bogus;\n}\n";
    let mut input = Vec::new();
    let messages = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}).to_string(),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}).to_string(),
        "{this is not json".to_string(),
        json!({"jsonrpc": "2.0", "id": 2}).to_string(),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "jailconf", "version": 1, "text": text}}}).to_string(),
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 6}}}).to_string(),
        json!({"jsonrpc": "2.0", "id": 4, "method": "jailconf/nonsense"}).to_string(),
        json!({"jsonrpc": "2.0", "id": 5, "method": "shutdown"}).to_string(),
        json!({"jsonrpc": "2.0", "method": "exit"}).to_string(),
    ];
    for message in &messages {
        input.extend(frame(message));
    }
    let (frames, status) = run(input);
    assert_eq!(status, Some(0), "{frames:#?}");
    assert!(response(&frames, json!(1))["result"]["capabilities"].is_object());
    let parse_error = frames
        .iter()
        .find(|f| f["error"]["code"] == json!(-32700))
        .expect("a parse error reply");
    assert_eq!(parse_error["id"], Value::Null);
    assert_eq!(response(&frames, json!(2))["error"]["code"], json!(-32600));
    let hover = &response(&frames, json!(3))["result"]["contents"]["value"];
    assert!(
        hover.as_str().is_some_and(|h| h.starts_with("**persist**")),
        "{hover}"
    );
    assert_eq!(response(&frames, json!(4))["error"]["code"], json!(-32601));
    assert_eq!(response(&frames, json!(5))["result"], Value::Null);
    let diagnostics = frames
        .iter()
        .find(|f| f["method"] == json!("textDocument/publishDiagnostics"))
        .expect("diagnostics published");
    assert_eq!(diagnostics["params"]["version"], json!(1));
    assert_eq!(
        diagnostics["params"]["diagnostics"][0]["code"],
        json!("JC008")
    );
}

#[test]
fn end_of_input_without_exit_is_status_1() {
    let init =
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}});
    let (frames, status) = run(frame(&init.to_string()));
    assert_eq!(frames.len(), 1);
    assert_eq!(status, Some(1));
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut input = frame(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}})
            .to_string(),
    );
    input.extend(frame(
        &json!({"jsonrpc": "2.0", "method": "exit"}).to_string(),
    ));
    let (_, status) = run(input);
    assert_eq!(status, Some(1));
}
