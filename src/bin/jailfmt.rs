//! `jailfmt`: formats FreeBSD jail.conf(5) files (the same code path as
//! `jailconf fmt`).

use std::process::ExitCode;

use clap::Parser;
use jailconf::cli::EXIT_USAGE;
use jailconf::commands::fmt::{self, JailfmtCli};
use jailconf::render;

/// mimalloc rather than the system allocator: loading a large
/// configuration makes many small allocations, which mimalloc serves
/// faster and with fewer page faults. The parser bench uses it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
