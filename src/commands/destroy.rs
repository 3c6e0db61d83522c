//! `jailconf destroy NAME`: stop a jail and, with `--data`, remove its
//! files or its clone dataset.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use jailconf_apply::desired::Desired;
use jailconf_apply::destroy::{self, Request};
use jailconf_apply::input::ConfigInput;
use jailconf_apply::record;
use jailconf_apply::runner::SystemRunner;
use jailconf_apply::state::ObservedValue;
use miette::{miette, Result};

use super::host::{self, LockArgs};
use crate::cli::{ColorChoice, HostConfigArgs};

/// Help text after the options.
pub const HELP: &str = "\
Stops the jail if it is running (`jail -f CONF -r NAME`; `jail -R NAME`
for a jail that is not configured). With --data, after confirmation
(--yes, or a question on a terminal), removes its root: a ZFS dataset
mounted at the jail's path (a clone made by `jailconf new --clone`) is
destroyed with `zfs destroy`; otherwise file flags are cleared with
`chflags -R 0 PATH` and the files are removed without following any
symbolic link out of the jail's root. `/`, relative paths, the host's
system directories and paths shared with another jail are refused. With
--remove-config, also removes the jail's own file (jail.conf.d/NAME.conf).

Exit status:
  0  done
  1  refused, not confirmed, or a step failed (later steps did not run)
  2  bad arguments";

/// Arguments of `jailconf destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// The jail.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Also remove the jail's files (or its ZFS clone).
    #[arg(long)]
    pub data: bool,

    /// Also remove the jail's own configuration file (jail.conf.d/NAME.conf).
    #[arg(long)]
    pub remove_config: bool,

    /// Go ahead without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub host: HostConfigArgs,

    /// Where the host's root directory is for jailconf (for a host whose
    /// file system is mounted elsewhere); jail(8), chflags and zfs are
    /// still given the host's own paths.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,

    #[command(flatten)]
    pub lock: LockArgs,

    /// Where apply records what it applied (default: $JAILCONF_STATE_FILE,
    /// else /var/db/jailconf/applied.json).
    #[arg(long, value_name = "FILE")]
    pub state_file: Option<PathBuf>,
}

/// Runs `jailconf destroy`.
pub fn run(args: &DestroyArgs, color: ColorChoice) -> Result<ExitCode> {
    Ok(host::exit_on_error(color, || destroy_jail(args)))
}

fn destroy_jail(args: &DestroyArgs) -> Result<ExitCode> {
    let _lock = args.lock.acquire()?;
    let input = host::load_config_or_empty(&args.host)?;
    let desired = Desired::from_input(&input).map_err(|e| miette!("{e}"))?;
    let observed = host::observe_host("destroy", true)?;
    let configured = desired.get(&args.name);
    let running = observed
        .jails
        .iter()
        .find(|j| j.name == args.name && !j.dying);
    if configured.is_none() && running.is_none() {
        return Err(miette!(
            "no jail named {:?} is configured or running",
            args.name
        ));
    }
    let running_path = running.and_then(|r| match r.params.get("path") {
        Some(ObservedValue::Text(path)) if !path.is_empty() => Some(path.clone()),
        _ => None,
    });
    let path = configured
        .and_then(|d| d.kernel.get("path"))
        .and_then(|p| p.values.last().cloned())
        .or(running_path);
    let mut other_paths: Vec<(String, String)> = desired
        .jails
        .iter()
        .filter(|d| d.name != args.name)
        .filter_map(|d| {
            let path = d.kernel.get("path")?.values.last()?;
            Some((d.name.clone(), path.clone()))
        })
        .collect();
    other_paths.extend(
        observed
            .jails
            .iter()
            .filter(|j| j.name != args.name)
            .filter_map(|j| match j.params.get("path") {
                Some(ObservedValue::Text(path)) if !path.is_empty() => {
                    Some((j.name.clone(), path.clone()))
                }
                _ => None,
            }),
    );
    let config_to_remove = if args.remove_config {
        Some(own_config_file(&input, &args.name)?)
    } else {
        None
    };
    let request = Request {
        name: &args.name,
        config_file: configured.map(|d| d.config_file.as_str()),
        running: running.is_some(),
        path: path.as_deref(),
        data: args.data,
        config_to_remove,
        datasets: &observed.datasets,
        other_paths: &other_paths,
        fs_root: &args.root,
    };
    let steps = destroy::plan(&request).map_err(|e| miette!("{e}"))?;
    if steps.is_empty() {
        host::print(&format!(
            "{} is not running; nothing to do (--data removes its files).\n",
            args.name
        ))?;
        return Ok(host::ok());
    }
    let mut text = format!("jailconf will destroy {}:\n", args.name);
    for step in &steps {
        let _ = writeln!(text, "  - {}", step.describe());
    }
    host::print(&text)?;
    if steps.iter().any(destroy::Step::is_destructive)
        && !host::confirm("\nDestroy these? This cannot be undone.", args.yes)?
    {
        host::print("Nothing destroyed.\n")?;
        return Ok(host::failed());
    }

    let report = destroy::run(&steps, &SystemRunner, &args.root);
    let mut text = String::from("\n");
    for line in &report.done {
        let _ = writeln!(text, "{}: {line}", args.name);
    }
    if running.is_some() && !report.done.is_empty() {
        let state_file = record::state_file(args.state_file.as_deref());
        if let Err(e) = record::update(&state_file, &args.name, None) {
            let _ = writeln!(text, "warning: state file not updated: {e}");
        }
    }
    match &report.failed {
        None => {
            host::print(&text)?;
            Ok(host::ok())
        }
        Some((step, message)) => {
            let _ = writeln!(text, "{}: failed to {step}:\n  {message}", args.name);
            host::print(&text)?;
            Ok(host::failed())
        }
    }
}

/// The file that defines `name` and no other jail, for `--remove-config`.
fn own_config_file(input: &ConfigInput, name: &str) -> Result<PathBuf> {
    for root in &input.roots {
        let config = &root.config;
        let Some(span) = config
            .jails
            .iter()
            .find(|j| j.name == name.as_bytes())
            .and_then(|j| j.name_span.as_ref())
        else {
            continue;
        };
        let others: Vec<String> = config
            .jails
            .iter()
            .filter(|j| j.name != name.as_bytes())
            .filter(|j| j.name_span.as_ref().is_some_and(|s| s.file == span.file))
            .map(|j| j.name_str().into_owned())
            .collect();
        let path = config.sources.get(span.file).path.clone();
        if !others.is_empty() {
            return Err(miette!(
                help = "remove its block by hand",
                "{} also defines {}",
                path.display(),
                others.join(", ")
            ));
        }
        return Ok(path);
    }
    Err(miette!(
        "{name} is not configured, so it has no configuration file to remove"
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use jailconf_apply::input::load_roots;
    use jailconf_parser::{MainFile, NoFiles, Target};

    #[test]
    fn own_file_only_when_alone_in_it() {
        let input = load_roots(
            vec![
                MainFile::from_path("/c/web.conf", b"web { persist; }".to_vec()),
                MainFile::from_path("/c/jail.conf", b"a { persist; }\nb { persist; }".to_vec()),
            ],
            &NoFiles,
            Target::V15,
        );
        assert_eq!(
            own_config_file(&input, "web").unwrap(),
            Path::new("/c/web.conf")
        );
        assert!(own_config_file(&input, "a").is_err());
        assert!(own_config_file(&input, "zzz").is_err());
    }
}
