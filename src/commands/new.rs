//! `jailconf new NAME --from TEMPLATE`: a new jail's file from a template
//! jail's file (and, with `--clone`, a ZFS clone for its root).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use jailconf_apply::input::DEFAULT_CONF_DIR;
use jailconf_apply::observe::{parse_zfs_list, ZFS_ARGV};
use jailconf_apply::runner::{Runner, SystemRunner};
use jailconf_apply::scaffold::{self, Request, Taken, Vnet};
use jailconf_apply::state::{Observed, ObservedValue};
use jailconf_apply::status::vnet_addresses;
use jailconf_parser::Target;
use miette::{miette, Result};

use super::host;
use crate::cli::{ColorChoice, HostConfigArgs};

/// Help text after the options.
pub const HELP: &str = "\
Copies the template jail's file to jail.conf.d/NAME.conf with the block
renamed and, as asked, its ip4.addr/ip6.addr replaced (--ip), or for a
VNET template its $id, $br and $ip variables (--vnet --id N --bridge BR
--ip ADDR). Comments and layout are kept; nothing else is substituted.
The file goes to the configuration's jail.conf.d: /etc/jail.conf.d, the
directory given with -f DIR, or the jail.conf.d beside -f FILE (--dir
overrides). An existing file is never overwritten.

With --clone POOL/PARENT/TEMPLATE@SNAP, the jail's root is a ZFS clone
`zfs clone SNAP POOL/PARENT/NAME`, and the jail's path is set to the
clone's mountpoint if it differs.

Names, addresses, epair numbers and paths that another jail uses (in the
configuration or running) or the host uses are refused. Then run
`jailconf apply` to start the jail.

Exit status:
  0  the file was written
  1  refused (taken names, addresses, epairs), or a failure
  2  bad arguments";

/// Arguments of `jailconf new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The new jail's name.
    #[arg(value_name = "NAME")]
    pub name: String,

    /// The jail whose file is the template.
    #[arg(long = "from", value_name = "TEMPLATE")]
    pub template: String,

    /// The new jail's address (ADDR or ADDR/N).
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<String>,

    /// The template is a VNET jail: set its $id and $br variables.
    #[arg(long)]
    pub vnet: bool,

    /// The bridge of a VNET jail ($br).
    #[arg(long, value_name = "BR", requires = "vnet")]
    pub bridge: Option<String>,

    /// The epair number of a VNET jail ($id).
    #[arg(long, value_name = "N", requires = "vnet")]
    pub id: Option<u32>,

    /// Make the jail's root a ZFS clone of this snapshot.
    #[arg(long, value_name = "POOL/DATASET@SNAP")]
    pub clone: Option<String>,

    #[command(flatten)]
    pub host: HostConfigArgs,

    /// Write the file into DIR instead of the configuration's jail.conf.d.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Runs `jailconf new`.
pub fn run(args: &NewArgs, color: ColorChoice) -> Result<ExitCode> {
    Ok(host::exit_on_error(color, || create(args)))
}

fn create(args: &NewArgs) -> Result<ExitCode> {
    scaffold::check_name(&args.name).map_err(|e| miette!("{e}"))?;
    let input = host::load_config(&args.host)?;
    let target = input.target;
    let observed = host::observe_host("new", true)?;
    let runner = SystemRunner;
    let taken = Taken::from_host(
        &input,
        &observed,
        &running_vnet_addresses(&observed, &runner),
    );
    taken.check_name(&args.name).map_err(refused)?;

    let template = scaffold::find_template(&input, &args.template).ok_or_else(|| {
        miette!(
            help = "`jailconf status` lists the configured jails",
            "no jail named {:?} in the configuration to use as the template",
            args.template
        )
    })?;
    let request = Request {
        name: args.name.clone(),
        template: args.template.clone(),
        ip: args.ip.clone(),
        vnet: args.vnet.then(|| Vnet {
            bridge: args.bridge.clone(),
            id: args.id,
        }),
    };
    let mut text = scaffold::derive(&template, &request, target).map_err(|e| miette!("{e}"))?;

    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| conf_dir(args.host.config.as_deref()));
    let file = dir.join(format!("{}.conf", args.name));
    if file.exists() {
        return Err(miette!("{} already exists", file.display()));
    }

    let clone = match &args.clone {
        Some(snapshot) => {
            let dataset =
                scaffold::clone_dataset(snapshot, &args.name).map_err(|e| miette!("{e}"))?;
            if taken.dataset_mountpoint(&dataset).is_some() {
                return Err(refused(scaffold::ScaffoldError::Conflicts(vec![format!(
                    "the dataset {dataset} exists"
                )])));
            }
            if let Some(mountpoint) = expected_mountpoint(&observed, &dataset) {
                text = with_path(&file, text, &args.name, &mountpoint, target)?;
            }
            Some((snapshot.clone(), dataset))
        }
        None => None,
    };

    let jail = scaffold::evaluate(&file, &text, &args.name, target).map_err(|e| miette!("{e}"))?;
    taken.check(&jail).map_err(refused)?;

    let mut report = String::new();
    if let Some((snapshot, dataset)) = &clone {
        run_checked(&runner, &["zfs", "clone", snapshot, dataset])?;
        let _ = writeln!(report, "cloned {snapshot} to {dataset}");
        if let Some(mountpoint) = clone_mountpoint(&runner, dataset) {
            text = with_path(&file, text, &args.name, &mountpoint, target)?;
            let _ = writeln!(report, "{dataset} is mounted at {mountpoint}");
        }
    }

    if !dir.is_dir() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| miette!("cannot create {}: {e}", dir.display()))?;
    }
    let written = scaffold::write_new(&dir, &args.name, &text)
        .map_err(|e| miette!("cannot write {}: {e}", file.display()))?;
    let _ = writeln!(report, "wrote {}:\n", written.display());
    report.push_str(&String::from_utf8_lossy(&text));
    if !text.ends_with(b"\n") {
        report.push('\n');
    }
    let _ = writeln!(report, "\nRun `jailconf apply` to start {}.", args.name);
    host::print(&report)?;
    Ok(host::ok())
}

/// `text` with the jail's path set to `path`, unless it evaluates to it
/// already (`path = "/jail/${name}"` stays as written).
fn with_path(
    file: &Path,
    text: Vec<u8>,
    name: &str,
    path: &str,
    target: Target,
) -> Result<Vec<u8>> {
    let jail = scaffold::evaluate(file, &text, name, target).map_err(|e| miette!("{e}"))?;
    let current = jail
        .param("path")
        .and_then(|p| p.values.last())
        .map(|v| String::from_utf8_lossy(&v.text).into_owned());
    if current.as_deref() == Some(path) {
        return Ok(text);
    }
    scaffold::set_path(&text, name, path, target).map_err(|e| miette!("{e}"))
}

fn refused(error: scaffold::ScaffoldError) -> miette::Report {
    miette!(help = "choose another name, address or --id", "{error}")
}

/// The jail.conf.d of the configuration: `-f DIR` itself, the
/// `jail.conf.d` beside `-f FILE`, or /etc/jail.conf.d.
fn conf_dir(config: Option<&Path>) -> PathBuf {
    match config {
        Some(path) if path.is_dir() => path.to_path_buf(),
        Some(file) => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("jail.conf.d"),
        None => PathBuf::from(DEFAULT_CONF_DIR),
    }
}

/// Addresses inside running VNET jails (which jls cannot show); a jail
/// that cannot be read is skipped.
fn running_vnet_addresses(
    observed: &Observed,
    runner: &dyn Runner,
) -> Vec<(String, std::net::IpAddr)> {
    observed
        .jails
        .iter()
        .filter(|j| {
            !j.dying && matches!(j.params.get("vnet"), Some(ObservedValue::Text(v)) if v == "new")
        })
        .flat_map(|j| {
            vnet_addresses(runner, &j.name)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|a| a.parse().ok())
                .map(|a| (j.name.clone(), a))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Where a new dataset will be mounted: below its parent's mountpoint.
fn expected_mountpoint(observed: &Observed, dataset: &str) -> Option<String> {
    let (parent, name) = dataset.rsplit_once('/')?;
    let parent = observed.datasets.iter().find(|d| d.name == parent)?;
    let base = parent.mountpoint.as_deref()?;
    Some(format!("{}/{name}", base.trim_end_matches('/')))
}

/// The mountpoint of an existing dataset.
fn clone_mountpoint(runner: &dyn Runner, dataset: &str) -> Option<String> {
    let argv: Vec<String> = ZFS_ARGV.iter().map(|a| a.to_string()).collect();
    let output = runner.run(&argv).ok().filter(|o| o.success())?;
    parse_zfs_list(&String::from_utf8_lossy(&output.stdout))
        .into_iter()
        .find(|d| d.name == dataset)?
        .mountpoint
}

fn run_checked(runner: &dyn Runner, argv: &[&str]) -> Result<()> {
    let argv: Vec<String> = argv.iter().map(|a| a.to_string()).collect();
    let output = runner
        .run(&argv)
        .map_err(|e| miette!("cannot run {}: {e}", argv.join(" ")))?;
    if !output.success() {
        return Err(miette!(
            "{} failed: {}",
            argv.join(" "),
            output.stderr_text()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailconf_apply::state::Dataset;

    #[test]
    fn conf_dir_choice() {
        assert_eq!(conf_dir(None), PathBuf::from("/etc/jail.conf.d"));
        assert_eq!(
            conf_dir(Some(Path::new("/srv/x/jail.conf"))),
            PathBuf::from("/srv/x/jail.conf.d")
        );
    }

    #[test]
    fn clone_is_mounted_below_its_parent() {
        let observed = Observed {
            datasets: vec![Dataset {
                name: "zroot/jail".into(),
                mountpoint: Some("/jail".into()),
                origin: None,
            }],
            ..Observed::default()
        };
        assert_eq!(
            expected_mountpoint(&observed, "zroot/jail/shadow").as_deref(),
            Some("/jail/shadow")
        );
        assert_eq!(expected_mountpoint(&observed, "tank/x/shadow"), None);
    }
}
