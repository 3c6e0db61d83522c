//! `jailfmt`: formats FreeBSD jail.conf(5) files (the same code path as
//! `jailconf fmt`).

use std::process::ExitCode;

use clap::Parser;
use jailconf::cli::EXIT_USAGE;
use jailconf::commands::fmt::{self, JailfmtCli};
use jailconf::render;

fn main() -> ExitCode {
    let cli = JailfmtCli::parse();
    match fmt::run(&cli.args, cli.color) {
        Ok(code) => code,
        Err(report) => {
            render::fatal(&report, cli.color);
            ExitCode::from(EXIT_USAGE)
        }
    }
}
