//! `jailfmt`: formats FreeBSD jail.conf(5) files (the same code path as
//! `jailconf fmt`).

use std::process::ExitCode;

use clap::Parser;
use jailconf::cli::{ColorChoice, EXIT_USAGE};
use jailconf::commands::fmt::{self, FmtArgs, HELP};
use jailconf::render;

/// Format FreeBSD jail.conf(5) files.
#[derive(Debug, Parser)]
#[command(name = "jailfmt", version, after_help = HELP)]
struct Cli {
    /// When to use colour in diagnostics and diffs (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    #[command(flatten)]
    args: FmtArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match fmt::run(&cli.args, cli.color) {
        Ok(code) => code,
        Err(report) => {
            render::fatal(&report, cli.color);
            ExitCode::from(EXIT_USAGE)
        }
    }
}
