//! `jailconf run NAME`: start a single-process jail in the foreground.

use std::process::{Command, ExitCode, ExitStatus};

use clap::Args;
use jailconf_apply::desired::Desired;
use miette::{miette, Result};

use super::host;
use crate::cli::{ColorChoice, HostConfigArgs};

/// Help text after the options.
pub const HELP: &str = "\
Runs `jail -f CONF -c NAME` with this terminal: the jail's command reads
standard input and writes standard output and error, and jailconf exits
with its exit status. Meant for single-process jails (a `command` and no
`persist`, shown as `ephemeral` by `jailconf status`), which `jailconf
apply` never starts. No shell is involved.

Exit status:
  the exit status of jail(8) (and so of the jail's command), 128 + N when
  it was killed by signal N; 1 when the jail is not configured or jail(8)
  cannot be run; 2 for bad arguments";

/// Arguments of `jailconf run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The jail to start.
    #[arg(value_name = "NAME")]
    pub name: String,

    #[command(flatten)]
    pub host: HostConfigArgs,
}

/// Runs `jailconf run`.
pub fn run(args: &RunArgs, color: ColorChoice) -> Result<ExitCode> {
    Ok(host::exit_on_error(color, || start(args)))
}

fn start(args: &RunArgs) -> Result<ExitCode> {
    let input = host::load_config(&args.host)?;
    let desired = Desired::from_input(&input).map_err(|e| miette!("{e}"))?;
    let jail = desired.get(&args.name).ok_or_else(|| {
        miette!(
            help = "`jailconf status` lists the configured jails",
            "no jail named {:?} in the configuration",
            args.name
        )
    })?;
    let argv = [
        "jail",
        "-f",
        jail.config_file.as_str(),
        "-c",
        jail.name.as_str(),
    ];
    let status = run_inherited(&argv).map_err(|e| miette!("cannot run {}: {e}", argv.join(" ")))?;
    Ok(ExitCode::from(exit_byte(status)))
}

/// Runs `argv` (no shell) with this process's standard input, output and
/// error, and waits for it.
fn run_inherited(argv: &[&str]) -> std::io::Result<ExitStatus> {
    let (program, rest) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"))?;
    Command::new(program).args(rest).status()
}

/// The exit status to pass on: the program's own, or 128 + the signal
/// that killed it.
fn exit_byte(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(1),
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn exit_status_is_passed_through() {
        assert_eq!(exit_byte(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_byte(ExitStatus::from_raw(3 << 8)), 3);
        // Killed by SIGTERM (15).
        assert_eq!(exit_byte(ExitStatus::from_raw(15)), 143);
    }

    #[test]
    fn inherited_run_reports_the_status() {
        let status = run_inherited(&["sh", "-c", "exit 7"]).unwrap();
        assert_eq!(exit_byte(status), 7);
        assert!(run_inherited(&[]).is_err());
    }
}
