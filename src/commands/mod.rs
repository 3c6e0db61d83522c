//! One module per subcommand.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod eval;
pub mod explain;
pub mod fleet;
pub mod fmt;
pub mod generate;
pub mod lint;
pub mod lsp;

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Eval(args) => eval::run(&args, cli.color),
        Command::Lint(args) => lint::run(&args, cli.color),
        Command::Explain(args) => explain::run(&args),
        Command::Fmt(args) => fmt::run(&args, cli.color),
        Command::Lsp(_) => lsp::run(),
        Command::Generate(args) => generate::run(&args),
    }
}
