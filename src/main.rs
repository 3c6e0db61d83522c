//! `jailconf`: check, format, evaluate and apply FreeBSD jail.conf(5) files.

use std::process::ExitCode;

use clap::Parser;
use jailconf::{cli, commands, render};

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let color = args.color;
    match commands::run(args) {
        Ok(code) => code,
        Err(report) => {
            render::fatal(&report, color);
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}
