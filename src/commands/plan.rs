//! `jailconf plan`: what `jailconf apply` would change on this host.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use jailconf_apply::desired::Desired;
use jailconf_apply::input::{self, ConfigInput};
use jailconf_apply::observe;
use jailconf_apply::plan::Plan;
use jailconf_apply::planner::{self, PlanOptions};
use jailconf_apply::record;
use jailconf_apply::render;
use jailconf_apply::runner::SystemRunner;
use jailconf_lint::LintOptions;
use jailconf_parser::settings;
use jailconf_parser::{DiskLoader, Target};
use miette::{miette, Result};

use crate::cli::{ColorChoice, HostConfigArgs, EXIT_FINDINGS};

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
  1  error (unreadable or invalid configuration, jls failed, not FreeBSD)
  2  the plan has changes";

/// Arguments of `jailconf plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub host: HostConfigArgs,

    /// Print the plan as JSON (schema jailconf.plan/1, see the README).
    #[arg(long)]
    pub json: bool,

    /// Also save the plan as JSON to FILE, for `jailconf apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Remove running jails that are not in the configuration.
    #[arg(long)]
    pub prune: bool,

    /// Plan even when the configuration has lint errors.
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

/// The inputs of a plan, for `plan` and `apply`.
#[derive(Debug)]
pub struct Planned {
    /// The configuration as read.
    pub input: ConfigInput,
    /// The desired state built from it.
    pub desired: Desired,
    /// The plan.
    pub plan: Plan,
}

/// Options of [`make_plan`] beyond the configuration.
#[derive(Debug, Default)]
pub struct MakePlanOptions {
    /// Plan despite lint errors.
    pub force: bool,
    /// The state file (`--state-file`), if given.
    pub state_file: Option<PathBuf>,
    /// The planner's options; `target` is filled in from the
    /// configuration's settings.
    pub plan: PlanOptions,
}

/// Reads the configuration, checks it (lint errors are rendered to stderr
/// and stop the plan unless `force`), observes the host through
/// [`SystemRunner`] and plans.
pub fn make_plan(
    host: &HostConfigArgs,
    options: MakePlanOptions,
    color: ColorChoice,
) -> Result<Planned> {
    let files = input::root_files(host.config.as_deref()).map_err(|e| {
        miette!(
            help = "name the configuration with -f FILE or -f DIRECTORY",
            "{e}"
        )
    })?;
    let settings = match files.first() {
        Some(first) => settings::discover(first.parent().unwrap_or(Path::new(".")))
            .map_err(|e| miette!("{e}"))?,
        None => None,
    };
    let target: Target = host
        .target
        .or_else(|| settings.as_ref().and_then(|s| s.settings.target))
        .unwrap_or_default();
    let input = input::load_files(&files, &DiskLoader, target).map_err(|e| miette!("{e}"))?;

    let lint_options = settings
        .as_ref()
        .map(|s| LintOptions::from_settings(&s.settings.lint))
        .unwrap_or_default();
    let findings = input.lint(&lint_options);
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
    if let Some(root) = input.refused() {
        return Err(miette!(
            help = "fix the errors above; jail(8) cannot read the file either",
            "jail(8) cannot read {}",
            root.path.display()
        ));
    }
    if errors && !options.force {
        return Err(miette!(
            help = "fix the errors above, or plan anyway with --force",
            "the configuration has lint errors"
        ));
    }

    let desired = Desired::from_input(&input)
        .map_err(|e| miette!(help = "define each jail in one file only", "{e}"))?;
    let state_file = record::state_file(options.state_file.as_deref());
    let applied = record::load(&state_file).map_err(|e| {
        miette!(
            help = "remove the file to start over (running jails are then compared by their kernel parameters only)",
            "{e}"
        )
    })?;
    let observed = observe::observe(&SystemRunner, input.wants_datasets()).map_err(|e| {
        if e.jls_missing() {
            miette!(
                help = "plan reads the running jails with jls(8); run it on the FreeBSD host",
                "jailconf plan must run on FreeBSD (jls not found on PATH)"
            )
        } else {
            miette!("cannot read the host's state: {e}")
        }
    })?;
    let plan_options = PlanOptions {
        target,
        ..options.plan
    };
    let plan = planner::plan(&desired, &observed, &applied, &plan_options)
        .map_err(|e| miette!(help = "fix the `depend` parameters", "{e}"))?;
    Ok(Planned {
        input,
        desired,
        plan,
    })
}

/// Runs `jailconf plan`. Errors are reported here (exit 1), since exit 2
/// means "changes" for this command.
pub fn run(args: &PlanArgs, color: ColorChoice) -> Result<ExitCode> {
    match plan_and_print(args, color) {
        Ok(code) => Ok(code),
        Err(report) => {
            crate::render::fatal(&report, color);
            Ok(ExitCode::from(EXIT_FINDINGS))
        }
    }
}

fn plan_and_print(args: &PlanArgs, color: ColorChoice) -> Result<ExitCode> {
    let options = MakePlanOptions {
        force: args.force,
        state_file: args.state_file.clone(),
        plan: PlanOptions {
            prune: args.prune,
            restart_on_config_change: args.restart_on_config_change,
            cleanup_stale: args.cleanup_stale,
            jails: args.jails.clone(),
            ..PlanOptions::default()
        },
    };
    let Planned { plan, .. } = make_plan(&args.host, options, color)?;
    if let Some(out) = &args.out {
        crate::fsutil::write_atomic(out, render::json(&plan).as_bytes())
            .map_err(|e| miette!("cannot write the plan to {}: {e}", out.display()))?;
    }
    let text = if args.json {
        render::json(&plan)
    } else {
        render::human(&plan, stdout_color(color))
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| miette!("cannot write to standard output: {e}"))?;
    Ok(ExitCode::from(if plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_NO_CHANGES
    }))
}

/// Whether to colour standard output.
fn stdout_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
