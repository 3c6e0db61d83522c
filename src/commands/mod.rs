//! One module per subcommand.

use std::process::ExitCode;

use crate::cli::{Cli, Command};

pub mod apply;
pub mod destroy;
pub mod eval;
pub mod explain;
pub mod fleet;
pub mod fmt;
pub mod generate;
pub mod host;
pub mod lint;
pub mod lsp;
pub mod new;
pub mod plan;
pub mod run;
pub mod status;

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> miette::Result<ExitCode> {
    match cli.command {
        Command::Eval(args) => eval::run(&args, cli.color),
        Command::Lint(args) => lint::run(&args, cli.color),
        Command::Explain(args) => explain::run(&args),
        Command::Fmt(args) => fmt::run(&args, cli.color),
        Command::Lsp(_) => lsp::run(),
        Command::Generate(args) => generate::run(&args),
        Command::Plan(args) => plan::run(&args, cli.color),
        Command::Apply(args) => apply::run(&args, cli.color),
        Command::Status(args) => status::run(&args, cli.color),
        Command::Run(args) => run::run(&args, cli.color),
        Command::New(args) => new::run(&args, cli.color),
        Command::Destroy(args) => destroy::run(&args, cli.color),
    }
}
