//! Plumbing shared by the commands that act on the host (`plan`, `apply`,
//! `status`, `run`, `new`, `destroy`): reading the configuration and the
//! host, planning, the lock, confirmation prompts and exit status 1 for
//! failures.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use jailconf_apply::input::{self, ConfigInput, InputError};
use jailconf_apply::lock::{ApplyLock, DEFAULT_LOCK_FILE};
use jailconf_apply::observe::{self, ObserveError};
use jailconf_apply::pipeline::{self, PipelineError, Planned};
use jailconf_apply::planner::{PlanError, PlanOptions};
use jailconf_apply::record;
use jailconf_apply::runner::SystemRunner;
use jailconf_apply::state::Observed;
use jailconf_lint::LintOptions;
use jailconf_parser::settings;
use jailconf_parser::{DiskLoader, Target};
use miette::{miette, Report, Result};

use crate::cli::{ColorChoice, HostConfigArgs, EXIT_FINDINGS, EXIT_OK};

/// `--lock-file` and `--lock-timeout`.
#[derive(Clone, Debug, Args)]
pub struct LockArgs {
    /// The lock file that keeps two applies apart.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_LOCK_FILE)]
    pub lock_file: PathBuf,

    /// Wait up to SECS for another apply to finish (0: fail at once).
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    pub lock_timeout: u64,
}

impl LockArgs {
    /// Takes the lock, or explains who holds it.
    pub fn acquire(&self) -> Result<ApplyLock> {
        ApplyLock::acquire(&self.lock_file, Duration::from_secs(self.lock_timeout)).map_err(|e| {
            miette!(
                help = "wait for the other run to finish, or wait for it with --lock-timeout SECS",
                "{e}"
            )
        })
    }
}

/// Runs a command body; an error is rendered and becomes exit status 1
/// (these commands use 2 only for bad arguments, which clap reports).
pub fn exit_on_error(color: ColorChoice, body: impl FnOnce() -> Result<ExitCode>) -> ExitCode {
    match body() {
        Ok(code) => code,
        Err(report) => {
            crate::render::fatal(&report, color);
            ExitCode::from(EXIT_FINDINGS)
        }
    }
}

/// A configuration as read, before any check, with the lint options of
/// its `jailconf.toml`.
#[derive(Debug)]
pub struct ReadConfig {
    /// The configuration, evaluated for `--target`, else the settings'
    /// target, else the default release.
    pub input: ConfigInput,
    /// The lint options of the settings (defaults without settings).
    pub lint: LintOptions,
}

/// Reads the configuration named by `-f` (or the system's) without
/// checking it; see [`load_config`].
pub fn read_config(host: &HostConfigArgs) -> Result<ReadConfig> {
    let files = input::root_files(host.config.as_deref()).map_err(input_error)?;
    read_files(host, &files)
}

/// The configuration named by `-f` (or the system's), without lint
/// checks; a file jail(8) cannot read is an error.
pub fn load_config(host: &HostConfigArgs) -> Result<ConfigInput> {
    readable(
        read_config(host)?.input,
        "run `jailconf lint` on it; jail(8) cannot read it either",
    )
}

/// Like [`load_config`], but no configuration at all is an empty one
/// (for commands that also act on jails that are only running).
pub fn load_config_or_empty(host: &HostConfigArgs) -> Result<ConfigInput> {
    match input::root_files(host.config.as_deref()) {
        Ok(files) => readable(
            read_files(host, &files)?.input,
            "run `jailconf lint` on it; jail(8) cannot read it either",
        ),
        Err(InputError::NoConfiguration) => Ok(ConfigInput {
            target: host.target.unwrap_or_default(),
            roots: Vec::new(),
        }),
        Err(e) => Err(input_error(e)),
    }
}

/// `input`, unless jail(8) cannot read one of its root files (the error
/// then has `help`).
pub fn readable(input: ConfigInput, help: &str) -> Result<ConfigInput> {
    match input.refused() {
        Some(root) => Err(miette!(
            help = help.to_string(),
            "jail(8) cannot read {}",
            root.path.display()
        )),
        None => Ok(input),
    }
}

/// Reads `files` with the settings found from the first one.
fn read_files(host: &HostConfigArgs, files: &[PathBuf]) -> Result<ReadConfig> {
    let settings = match files.first() {
        Some(first) => settings::discover(first.parent().unwrap_or(Path::new(".")))
            .map_err(|e| miette!("{e}"))?,
        None => None,
    };
    let target: Target = host
        .target
        .or_else(|| settings.as_ref().and_then(|s| s.settings.target))
        .unwrap_or_default();
    let input = input::load_files(files, &DiskLoader, target).map_err(|e| miette!("{e}"))?;
    let lint = settings
        .as_ref()
        .map(|s| LintOptions::from_settings(&s.settings.lint))
        .unwrap_or_default();
    Ok(ReadConfig { input, lint })
}

fn input_error(error: InputError) -> Report {
    miette!(
        help = "name the configuration with -f FILE or -f DIRECTORY",
        "{error}"
    )
}

/// Plans `input` against this host (see [`pipeline::plan_host`]), with the
/// state file `--state-file` (or its default). `command` names the
/// command in errors.
pub fn plan_host(
    command: &str,
    input: &ConfigInput,
    state_file: Option<&Path>,
    options: PlanOptions,
) -> Result<Planned> {
    let state_file = record::state_file(state_file);
    pipeline::plan_host(input, &state_file, &SystemRunner, options).map_err(|e| match e {
        PipelineError::Duplicate(e) => miette!(help = "define each jail in one file only", "{e}"),
        PipelineError::Record(e) => miette!(
            help = "remove the file to start over (running jails are then compared by their kernel parameters only)",
            "{e}"
        ),
        PipelineError::Observe(e) => observe_error(command, e),
        PipelineError::Plan(e @ PlanError::Cycle(_)) => {
            miette!(help = "fix the `depend` parameters", "{e}")
        }
        PipelineError::Plan(e) => miette!(
            help = "`jailconf status` lists the configured and running jails",
            "{e}"
        ),
    })
}

/// Reads the running jails, interfaces and (when `datasets`) ZFS datasets.
/// `command` names the command in errors.
pub fn observe_host(command: &str, datasets: bool) -> Result<Observed> {
    observe::observe(&SystemRunner, datasets).map_err(|e| observe_error(command, e))
}

fn observe_error(command: &str, error: ObserveError) -> Report {
    if error.jls_missing() {
        miette!(
            help = format!(
                "{command} reads the running jails with jls(8); run it on the FreeBSD host"
            ),
            "jailconf {command} must run on FreeBSD (jls not found on PATH)"
        )
    } else {
        miette!("cannot read the host's state: {error}")
    }
}

/// Asks `question [y/N]` on a terminal. Without `--yes` and without a
/// terminal, refuses with a hint naming `--yes`.
pub fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(miette!(
            help = "use --yes to go ahead without a question",
            "refusing to go ahead without confirmation: standard input is not a terminal"
        ));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    write!(out, "{question} [y/N] ")
        .and_then(|()| out.flush())
        .map_err(|e| miette!("cannot write to standard output: {e}"))?;
    drop(out);
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| miette!("cannot read the answer: {e}"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Writes `text` to standard output.
pub fn print(text: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| miette!("cannot write to standard output: {e}"))
}

/// Exit status 0.
pub fn ok() -> ExitCode {
    ExitCode::from(EXIT_OK)
}

/// Exit status 1.
pub fn failed() -> ExitCode {
    ExitCode::from(EXIT_FINDINGS)
}

/// Whether to colour standard output.
pub fn stdout_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
