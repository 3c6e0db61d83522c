//! Writing to standard output and standard error through locked handles
//! (the workspace denies `print!`). Write errors (a closed pipe) are
//! ignored, like a C program that does not check printf.

use std::io::Write;

/// Writes `text` and a newline to standard output.
pub fn out(text: &str) {
    let mut handle = std::io::stdout().lock();
    let _ = handle.write_all(text.as_bytes());
    let _ = handle.write_all(b"\n");
    let _ = handle.flush();
}

/// Writes `text` as is (no newline added) to standard output.
pub fn out_raw(text: &str) {
    let mut handle = std::io::stdout().lock();
    let _ = handle.write_all(text.as_bytes());
    let _ = handle.flush();
}

/// Writes `text` and a newline to standard error.
pub fn err(text: &str) {
    let mut handle = std::io::stderr().lock();
    let _ = handle.write_all(text.as_bytes());
    let _ = handle.write_all(b"\n");
    let _ = handle.flush();
}

/// strerror(3) wording of an I/O error.
pub fn strerror(error: &std::io::Error) -> String {
    jailconf_parser::model::io_message(error)
}
