//! `jailconf plan`: what `jailconf apply` would change on this host.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jailconf_apply::pipeline::Planned;
use jailconf_apply::planner::PlanOptions;
use jailconf_apply::render;
use miette::{miette, Result};

use super::host::{self, ReadConfig};
use crate::cli::{ColorChoice, HostConfigArgs};

/// Exit status: the host matches the configuration.
pub const EXIT_NO_CHANGES: u8 = 0;
/// Exit status: the plan has changes.
pub const EXIT_CHANGES: u8 = 2;

/// Help text after the options.
pub const HELP: &str = "\
Reads the running jails with `jls -d --libxo=json -n` and the host's
interfaces with `ifconfig -a`, compares them with the configuration and
prints what `jailconf apply` would do: create, modify (jail -m), restart
(jail -r, then jail -c), remove (with --prune) each jail. Only parameters
the configuration sets are compared. Changes to commands, mounts and
interfaces (which jls cannot show) are compared with what apply last
applied (the state file) and take effect on the next restart.

The configuration is checked first: lint errors stop the plan unless
--force is given.

Exit status:
  0  no changes: the host matches the configuration
  1  error (unreadable or invalid configuration, jls failed, not FreeBSD,
     bad arguments)
  2  the plan has changes";

/// Arguments of `jailconf plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub flags: PlanFlags,

    /// Print the plan as JSON (schema jailconf.plan/1, see the README).
    #[arg(long)]
    pub json: bool,

    /// Also save the plan as JSON to FILE, for `jailconf apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What to plan: the flags `jailconf plan` and `jailconf apply` share.
#[derive(Debug, Args)]
pub struct PlanFlags {
    #[command(flatten)]
    pub host: HostConfigArgs,

    /// Remove running jails that are not in the configuration.
    #[arg(long)]
    pub prune: bool,

    /// Go on even when the configuration has lint errors.
    #[arg(long)]
    pub force: bool,

    /// Restart running jails whose commands, mounts or interfaces changed
    /// since they were applied, instead of waiting for their next restart.
    #[arg(long)]
    pub restart_on_config_change: bool,

    /// Destroy interfaces left over by failed starts before applying.
    #[arg(long)]
    pub cleanup_stale: bool,

    /// Only these jails (and the jails they depend on).
    #[arg(long = "jail", value_name = "NAME")]
    pub jails: Vec<String>,

    /// Where apply records what it applied (default: $JAILCONF_STATE_FILE,
    /// else /var/db/jailconf/applied.json).
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
}

impl PlanFlags {
    /// The planner's options (the target comes from the configuration).
    pub fn to_options(&self) -> PlanOptions {
        PlanOptions {
            prune: self.prune,
            restart_on_config_change: self.restart_on_config_change,
            cleanup_stale: self.cleanup_stale,
            jails: self.jails.clone(),
            ..PlanOptions::default()
        }
    }
}

/// Reads and checks the configuration (lint errors are rendered to stderr
/// and stop the plan unless `--force`), observes the host and plans.
/// `command` names the command in errors.
pub fn make_plan(flags: &PlanFlags, command: &str, color: ColorChoice) -> Result<Planned> {
    let ReadConfig { input, lint } = host::read_config(&flags.host)?;
    let findings = input.lint(&lint);
    let errors = findings.iter().any(|f| f.has_errors());
    if errors {
        for found in &findings {
            crate::render::diagnostics_to_stderr(
                &found.root.config.sources,
                &found.diagnostics,
                color,
            );
        }
    }
    let input = host::readable(
        input,
        "fix the errors above; jail(8) cannot read the file either",
    )?;
    if errors && !flags.force {
        return Err(miette!(
            help = "fix the errors above, or plan anyway with --force",
            "the configuration has lint errors"
        ));
    }
    host::plan_host(
        command,
        &input,
        flags.state_file.as_deref(),
        flags.to_options(),
    )
}

/// Runs `jailconf plan`. Errors are reported here (exit 1), since exit 2
/// means "changes" for this command.
pub fn run(args: &PlanArgs, color: ColorChoice) -> Result<ExitCode> {
    Ok(host::exit_on_error(color, || plan_and_print(args, color)))
}

fn plan_and_print(args: &PlanArgs, color: ColorChoice) -> Result<ExitCode> {
    let Planned { plan, .. } = make_plan(&args.flags, "plan", color)?;
    if let Some(out) = &args.out {
        crate::fsutil::write_atomic(out, render::json(&plan).as_bytes())
            .map_err(|e| miette!("cannot write the plan to {}: {e}", out.display()))?;
    }
    let text = if args.json {
        render::json(&plan)
    } else {
        render::human(&plan, host::stdout_color(color))
    };
    host::print(&text)?;
    Ok(ExitCode::from(if plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_NO_CHANGES
    }))
}
