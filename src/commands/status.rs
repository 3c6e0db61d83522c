//! `jailconf status`: configured and running jails side by side.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jailconf_apply::pipeline::Planned;
use jailconf_apply::planner::PlanOptions;
use jailconf_apply::runner::SystemRunner;
use jailconf_apply::status;
use miette::{miette, Result};

use super::host;
use crate::cli::{ColorChoice, HostConfigArgs};

/// Help text after the options.
pub const HELP: &str = "\
Lists every configured jail and every running jail with its state:
  running    running as configured
  stopped    configured, not running
  drifted    running, but differs from the configuration (details below
             the table: kernel parameters, and changes that wait for the
             next restart)
  unmanaged  running, not in the configuration
  ephemeral  a single-process jail (start it with `jailconf run NAME`)
with its jid, hostname, path and every address. jls(8) cannot show the
addresses of VNET jails; they are read inside each running VNET jail with
`jexec NAME ifconfig`. --json prints the schema jailconf.status/1
documented in the README.

Exit status:
  0  the status was shown
  1  the configuration or the host could not be read
  2  bad arguments";

/// Arguments of `jailconf status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub host: HostConfigArgs,

    /// Print JSON (schema jailconf.status/1).
    #[arg(long)]
    pub json: bool,

    /// Where apply records what it applied (default: $JAILCONF_STATE_FILE,
    /// else /var/db/jailconf/applied.json).
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
}

/// Runs `jailconf status`.
pub fn run(args: &StatusArgs, color: ColorChoice) -> Result<ExitCode> {
    Ok(host::exit_on_error(color, || show(args)))
}

fn show(args: &StatusArgs) -> Result<ExitCode> {
    let input = host::load_config_or_empty(&args.host)?;
    let Planned {
        desired,
        observed,
        plan,
    } = host::plan_host(
        "status",
        &input,
        args.state_file.as_deref(),
        PlanOptions::default(),
    )?;
    let status = status::status(&desired, &observed, &plan, &SystemRunner);
    let text = if args.json {
        let mut text =
            serde_json::to_string_pretty(&status).map_err(|e| miette!("cannot write JSON: {e}"))?;
        text.push('\n');
        text
    } else {
        status::table(&status)
    };
    host::print(&text)?;
    Ok(host::ok())
}
