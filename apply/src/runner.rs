//! Running FreeBSD's programs: argv lists, never a shell.

use std::ffi::OsStr;
use std::io;
use std::process::Command;

/// What a finished program left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// Exit status; `None` when killed by a signal.
    pub status: Option<i32>,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl Output {
    /// Whether the program exited with status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// Standard error as text, trimmed.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).trim().to_string()
    }
}

/// Runs one program with its arguments. Implementations must not pass the
/// argv through a shell: every element reaches the program as one argument.
pub trait Runner: Sync {
    /// Runs `argv[0]` (looked up in `PATH`) with `argv[1..]` and waits.
    fn run(&self, argv: &[String]) -> io::Result<Output>;
}

/// The real system: `std::process::Command`, programs found through `PATH`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemRunner;

impl Runner for SystemRunner {
    fn run(&self, argv: &[String]) -> io::Result<Output> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
        let output = Command::new(OsStr::new(program)).args(args).output()?;
        Ok(Output {
            status: output.status.code(),
            stdout: output.stdout,
            stderr: output.stderr,
        })
    }
}
