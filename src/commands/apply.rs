//! `jailconf apply`: converge the host to the configuration.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jailconf_apply::execute::{
    self, Done, Failed, Observer, Options, Outcome, Recorder, Report, Work,
};
use jailconf_apply::pipeline::Planned;
use jailconf_apply::plan::{Action, ActionKind, Plan, PLAN_SCHEMA};
use jailconf_apply::record;
use jailconf_apply::render;
use jailconf_apply::runner::SystemRunner;
use miette::{miette, Result};
use serde_json::json;

use super::host::{self, LockArgs};
use super::plan::{make_plan, PlanFlags};
use crate::cli::ColorChoice;

/// JSON schema name of `apply --json`.
const APPLY_SCHEMA: &str = "jailconf.apply/1";

/// Help text after the options.
pub const HELP: &str = "\
Without PLANFILE, reads the configuration and the running jails, shows the
plan (as `jailconf plan` does) and, after confirmation, carries it out:
`jail -f CONF -c NAME` to create, `-m` to modify, `-r` then `-c` to
restart, `jail -R NAME` to remove (with --prune). Programs are run as
argument lists, never through a shell; the configuration's own exec.*
hooks are run by jail(8). Without --yes it asks on a terminal and refuses
otherwise.

With PLANFILE (from `jailconf plan --out FILE`), re-reads the host and the
configuration and refuses the plan if either changed since it was made.

Independent jails run in parallel (--jobs); a jail starts only after the
jails it depends on. The first failure stops new work: running actions
finish, nothing new starts, and the report lists what was done, what
failed (with jail(8)'s message) and what was skipped. Running apply again
after fixing the cause continues from there.

An exclusive lock (--lock-file) keeps two applies from interleaving.

Exit status:
  0  success, or nothing to do
  1  an action failed, the plan was refused or not confirmed, or the
     configuration or host could not be read
  2  bad arguments";

/// Arguments of `jailconf apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `jailconf plan --out FILE`.
    #[arg(
        value_name = "PLANFILE",
        conflicts_with_all = ["prune", "restart_on_config_change", "jails"]
    )]
    pub plan_file: Option<PathBuf>,

    #[command(flatten)]
    pub flags: PlanFlags,

    /// Go ahead without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Print the commands apply would run, and run nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Print one JSON document (schema jailconf.apply/1: the plan, and what
    /// was done, failed and skipped) instead of text; needs --yes or
    /// --dry-run.
    #[arg(long)]
    pub json: bool,

    /// How many jails to act on at once.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,

    #[command(flatten)]
    pub lock: LockArgs,
}

/// Runs `jailconf apply`.
pub fn run(args: &ApplyArgs, color: ColorChoice) -> Result<ExitCode> {
    Ok(host::exit_on_error(color, || apply(args, color)))
}

fn apply(args: &ApplyArgs, color: ColorChoice) -> Result<ExitCode> {
    // The lock comes first, so that nothing changes between the plan and
    // its execution (a dry run changes nothing and needs none).
    let _lock = if args.dry_run {
        None
    } else {
        Some(args.lock.acquire()?)
    };
    let Planned {
        desired,
        plan: current,
        ..
    } = make_plan(&args.flags, "apply", color)?;
    let plan = match &args.plan_file {
        Some(path) => saved_plan(path, &current)?,
        None => current,
    };

    let exec_options = Options {
        jobs: usize::from(args.jobs),
        cleanup_stale: args.flags.cleanup_stale,
    };
    let commands = execute::commands(&plan, &exec_options);
    if args.json {
        if commands.is_empty() || args.dry_run {
            host::print(&json_document(&plan, &commands, args.dry_run, None))?;
            return Ok(host::ok());
        }
        if !args.yes {
            return Err(miette!(
                help = "add --yes to apply, or --dry-run to only show the commands",
                "--json does not ask for confirmation"
            ));
        }
    } else {
        host::print(&render::human(&plan, host::stdout_color(color)))?;
        if commands.is_empty() {
            return Ok(host::ok());
        }
        if args.dry_run {
            host::print(&dry_run_text(&commands)?)?;
            return Ok(host::ok());
        }
        if !host::confirm("\nApply these changes?", args.yes)? {
            host::print("Nothing applied.\n")?;
            return Ok(host::failed());
        }
        host::print("\n")?;
    }

    let state_file = record::state_file(args.flags.state_file.as_deref());
    let runner = SystemRunner;
    let recorder = Recorder::new(state_file, &desired, &runner);
    let progress = Progress::new(&recorder, !args.json);
    let report = execute::execute(&plan, &runner, &exec_options, &progress);
    progress.finish();
    if args.json {
        host::print(&json_document(&plan, &commands, false, Some(&report)))?;
    } else {
        host::print(&summary(&report))?;
    }
    Ok(if report.success() {
        host::ok()
    } else {
        host::failed()
    })
}

/// Reads a saved plan and checks it against the host and configuration
/// as they are now.
fn saved_plan(path: &std::path::Path, current: &Plan) -> Result<Plan> {
    let text = std::fs::read(path).map_err(|e| miette!("cannot read {}: {e}", path.display()))?;
    let saved: Plan = serde_json::from_slice(&text).map_err(|e| {
        miette!(
            help = "save a plan with `jailconf plan --out FILE`",
            "{} is not a jailconf plan: {e}",
            path.display()
        )
    })?;
    if saved.schema != PLAN_SCHEMA {
        return Err(miette!(
            "{} has schema `{}`, not `{PLAN_SCHEMA}`",
            path.display(),
            saved.schema
        ));
    }
    if saved.fingerprint != current.fingerprint {
        return Err(miette!(
            help = "run `jailconf plan` again",
            "the host or configuration changed since the plan was made; run jailconf plan again"
        ));
    }
    Ok(saved)
}

/// The `--json` document: the plan, the commands, and the report of a
/// run (none for a dry run or when there is nothing to do).
fn json_document(
    plan: &Plan,
    commands: &[Vec<String>],
    dry_run: bool,
    report: Option<&Report>,
) -> String {
    let work = |work: &Work| match work {
        Work::Cleanup { interface } => json!({"action": "cleanup", "interface": interface}),
        Work::Action(kind) => json!({"action": kind}),
    };
    let with = |mut base: serde_json::Value, extra: serde_json::Value| {
        if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
            base.extend(extra.clone());
        }
        base
    };
    let empty = Report::default();
    let report = report.unwrap_or(&empty);
    let document = json!({
        "schema": APPLY_SCHEMA,
        "dry_run": dry_run,
        "success": report.success(),
        "plan": plan,
        "commands": commands,
        "done": report.done.iter().map(|d| with(work(&d.work), json!({
            "jail": d.jail, "seconds": d.elapsed.as_secs_f64(), "stdout": d.stdout,
        }))).collect::<Vec<_>>(),
        "failed": report.failed.iter().map(|f| with(work(&f.work), json!({
            "jail": f.jail, "seconds": f.elapsed.as_secs_f64(), "command": f.command,
            "status": f.status, "stdout": f.stdout, "stderr": f.stderr,
        }))).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|k| with(work(&k.work), json!({"jail": k.jail})))
            .collect::<Vec<_>>(),
        "warnings": report.warnings,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// The commands, one per line, quoted for a POSIX shell (for reading
/// only: apply itself never uses a shell).
fn dry_run_text(commands: &[Vec<String>]) -> Result<String> {
    let mut out = String::from("\nCommands apply would run (--dry-run: nothing was run):\n");
    for argv in commands {
        let line = shlex::try_join(argv.iter().map(String::as_str))
            .map_err(|e| miette!("cannot show {argv:?}: {e}"))?;
        let _ = writeln!(out, "{line}");
    }
    Ok(out)
}

/// The end-of-run report: on failure, what was done, what failed (with
/// jail(8)'s message) and what was skipped; then the totals.
fn summary(report: &Report) -> String {
    let mut out = String::from("\n");
    if !report.success() {
        if !report.done.is_empty() {
            out.push_str("Done:\n");
            for done in &report.done {
                let _ = writeln!(
                    out,
                    "  {} {}: {}",
                    marker(&done.work),
                    done.jail,
                    done.work.done_verb()
                );
            }
        }
        out.push_str("Failed:\n");
        for failed in &report.failed {
            let command = shlex::try_join(failed.command.iter().map(String::as_str))
                .unwrap_or_else(|_| failed.command.join(" "));
            let _ = writeln!(
                out,
                "  x {}: {}: {command}",
                failed.jail,
                failed.work.verb()
            );
            if failed.work == Work::Action(ActionKind::Restart) && failed.completed_commands == 1 {
                let _ = writeln!(out, "      (it was stopped, and not started again)");
            }
            for line in failed.stderr.lines() {
                let _ = writeln!(out, "      {line}");
            }
        }
        if !report.skipped.is_empty() {
            out.push_str("Skipped:\n");
            for skipped in &report.skipped {
                let _ = writeln!(out, "  {}: {}", skipped.jail, skipped.work.verb());
            }
        }
        out.push('\n');
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: state file not updated for {warning}");
    }
    let _ = writeln!(
        out,
        "{}: {} done, {} failed, {} skipped.",
        if report.success() {
            "Apply complete"
        } else {
            "Apply failed"
        },
        report.done.len(),
        report.failed.len(),
        report.skipped.len()
    );
    if !report.success() {
        let _ = writeln!(
            out,
            "Fix the cause and run `jailconf apply` again: it continues from here."
        );
    }
    out
}

/// The progress line of a finished unit: `+ web: created (0.4 s)`.
fn outcome_line(outcome: Outcome<'_>) -> String {
    let mut line = match outcome {
        Outcome::Done(Done {
            jail,
            work,
            elapsed,
            stdout,
        }) => {
            let mut line = format!(
                "{} {jail}: {} ({})",
                marker(work),
                work.done_verb(),
                seconds(*elapsed)
            );
            for out in stdout {
                let _ = write!(line, "\n    {out}");
            }
            line
        }
        Outcome::Failed(Failed {
            jail,
            work,
            elapsed,
            ..
        }) => format!(
            "x {jail}: failed to {} ({})",
            work.verb(),
            seconds(*elapsed)
        ),
    };
    line.push('\n');
    line
}

fn marker(work: &Work) -> &'static str {
    match work {
        Work::Cleanup { .. } => "x",
        Work::Action(ActionKind::Create) => "+",
        Work::Action(ActionKind::Modify) => "~",
        Work::Action(ActionKind::Restart) => "-/+",
        Work::Action(ActionKind::Remove) => "-",
        Work::Action(_) => ".",
    }
}

fn seconds(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// Shows progress — a bar on a terminal, plain lines otherwise — and
/// keeps the state file up to date.
struct Progress<'r> {
    recorder: &'r Recorder<'r>,
    /// Whether progress is shown at all (not with --json).
    visible: bool,
    bar: Option<ProgressBar>,
    /// Serialises plain output lines.
    out: Mutex<()>,
}

impl<'r> Progress<'r> {
    fn new(recorder: &'r Recorder<'r>, visible: bool) -> Self {
        let terminal = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        let bar = (visible && terminal).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {wide_msg}") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            recorder,
            visible,
            bar,
            out: Mutex::new(()),
        }
    }

    fn print(&self, text: &str) {
        if !self.visible {
            return;
        }
        let write = || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            // A closed stdout must not stop the apply.
            let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => {
                let _guard = self.out.lock().unwrap_or_else(|e| e.into_inner());
                write();
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress<'_> {
    fn planned(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(total as u64);
        }
    }

    fn started(&self, jail: &str, work: &Work) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} {jail}…", work.verb()));
        }
    }

    fn succeeded(&self, action: &Action) -> Result<(), String> {
        self.recorder.record(action)
    }

    fn finished(&self, outcome: Outcome<'_>) {
        self.print(&outcome_line(outcome));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn dry_run_quotes_for_display() {
        let text = dry_run_text(&[
            argv(&["jail", "-f", "/etc/jail.conf", "-c", "web"]),
            argv(&["jail", "-f", "/x y.conf", "-c", "a;touch PWNED"]),
        ])
        .unwrap();
        assert_eq!(
            text,
            "\nCommands apply would run (--dry-run: nothing was run):\n\
             jail -f /etc/jail.conf -c web\n\
             jail -f '/x y.conf' -c 'a;touch PWNED'\n"
        );
    }

    #[test]
    fn progress_lines() {
        let done = Done {
            jail: "web".into(),
            work: Work::Action(ActionKind::Create),
            elapsed: Duration::from_millis(420),
            stdout: vec!["web: created".into()],
        };
        assert_eq!(
            outcome_line(Outcome::Done(&done)),
            "+ web: created (0.4 s)\n    web: created\n"
        );
    }
}
