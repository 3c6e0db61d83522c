//! Infrastructure errors: a missing or corrupt state, I/O failures in the
//! state directory. They end the program with exit status 2 (the tools'
//! own FreeBSD-style failures exit 1 and are not errors here).

use std::fmt;

/// Something went wrong with the simulation itself, not with the
/// simulated command.
#[derive(Debug)]
pub struct SimError(pub String);

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl SimError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        SimError(message.into())
    }

    /// An I/O error on `what`.
    pub fn io(what: impl fmt::Display, error: &std::io::Error) -> Self {
        SimError(format!("{what}: {error}"))
    }
}
