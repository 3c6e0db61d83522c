//! `jailconf`: check, format, evaluate and apply FreeBSD jail.conf(5) files.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use jailconf::{cli, commands, render};

/// mimalloc rather than the system allocator: loading a large
/// configuration makes many small allocations, which mimalloc serves
/// faster and with fewer page faults. The parser bench uses it too.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let args = match cli::Cli::try_parse_from(&argv) {
        Ok(args) => args,
        Err(error) => return usage_error(&error, &argv),
    };
    let color = args.color;
    match commands::run(args) {
        Ok(code) => code,
        Err(report) => {
            render::fatal(&report, color);
            ExitCode::from(cli::EXIT_USAGE)
        }
    }
}

/// Prints clap's message (help and version on stdout, errors on stderr)
/// and chooses the exit status: clap's, except that a usage error of
/// `jailconf plan` exits 1, since plan's 2 means "the plan has changes".
fn usage_error(error: &clap::Error, argv: &[OsString]) -> ExitCode {
    let _ = error.print();
    if error.use_stderr() && cli::subcommand_name(argv).as_deref() == Some("plan") {
        return ExitCode::from(cli::EXIT_FINDINGS);
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(cli::EXIT_USAGE))
}
