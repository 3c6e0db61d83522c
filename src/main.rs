//! `jailconf`: check, format, evaluate and apply FreeBSD jail.conf(5) files.

use std::process::ExitCode;

use clap::Parser;
use jailconf::{cli, commands, render};

/// mimalloc rather than the system allocator: loading a large
/// configuration makes many small allocations, which mimalloc serves
/// faster and with fewer page faults. The parser bench uses it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
