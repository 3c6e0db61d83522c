//! `jailconf lsp`: the language server on standard input and output.

use std::process::ExitCode;

use clap::Args;
use miette::{miette, Result};

/// Arguments of `jailconf lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Accepted for clients that pass it; standard input and output are
    /// the only transport.
    #[arg(long)]
    pub stdio: bool,
}

/// Help text after the options of `jailconf lsp`.
pub const HELP: &str = "\
Speaks the Language Server Protocol on standard input and output; editors
start it themselves (see editors/ in the repository). Settings come from
the jailconf.toml found upward from each file.

Exit status:
  0  the client sent `shutdown`, then `exit`
  1  `exit` without `shutdown`, or the client went away
  2  the session could not start";

/// Runs the server until the client ends the session.
pub fn run() -> Result<ExitCode> {
    match jailconf_lsp::run_stdio() {
        Ok(jailconf_lsp::Exit::Clean) => Ok(ExitCode::SUCCESS),
        Ok(jailconf_lsp::Exit::WithoutShutdown) => Ok(ExitCode::from(1)),
        Err(error) => Err(miette!("language server: {error}")),
    }
}
