//! `jailconf lint --fleet DIR`: each folder of DIR is one host's
//! configuration; every host is linted on its own, then the fleet rules
//! compare the hosts (addresses and MAC addresses shared across hosts).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jailconf_lint::facts::RcFacts;
use jailconf_lint::fleet::{lint_fleet, Host};
use jailconf_lint::rc_conf::RcConf;
use jailconf_lint::{lint, sort_findings, HostFacts};
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::settings;
use miette::{miette, IntoDiagnostic, Result};
use serde_json::{json, Value};

use crate::cli::{ColorChoice, FindingsFormat, LintArgs, EXIT_FINDINGS, EXIT_OK};
use crate::commands::lint::{load_config, summary, target_and_options};
use crate::{input, render, report};

/// JSON schema name of `--fleet --format json`.
const FLEET_SCHEMA: &str = "jailconf.lint-fleet/1";

/// Runs `jailconf lint --fleet DIR`.
pub fn run(dir: &Path, args: &LintArgs, color: ColorChoice) -> Result<ExitCode> {
    let settings = settings::discover(dir).map_err(|e| miette!("{e}"))?;
    let (target, options) = target_and_options(args, settings.as_ref());

    let mut hosts = Vec::new();
    for folder in host_folders(dir)? {
        let files = host_files(&folder)?;
        if files.is_empty() {
            continue;
        }
        let name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hosts.push(Host {
            name,
            config: load_config(&files, target)?,
            facts: rc_facts(&folder)?,
        });
    }
    if hosts.is_empty() {
        return Err(miette!(
            help = "each folder of the fleet directory holds one host's jail.conf, jail.conf.d/ or *.conf files",
            "{}: no host configurations found",
            dir.display()
        ));
    }

    let mut findings: Vec<Vec<Diagnostic>> = hosts
        .iter()
        .map(|host| lint(&host.config, &host.facts, &options))
        .collect();
    for finding in lint_fleet(&hosts, |rule| options.enabled(rule)) {
        findings[finding.host].push(finding.diagnostic);
    }
    for host_findings in &mut findings {
        sort_findings(host_findings);
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        FindingsFormat::Human => {
            for (host, host_findings) in hosts.iter().zip(&findings) {
                render::diagnostics_to_stderr(&host.config.sources, host_findings, color);
            }
            let all: Vec<Diagnostic> = findings.iter().flatten().cloned().collect();
            summary(&all);
        }
        FindingsFormat::Json => {
            let reports: Vec<Value> = hosts
                .iter()
                .zip(&findings)
                .map(
                    |(host, f)| json!({"host": host.name, "report": report::json(&host.config, f)}),
                )
                .collect();
            let document = json!({"schema": FLEET_SCHEMA, "hosts": reports});
            serde_json::to_writer_pretty(&mut out, &document).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        FindingsFormat::Sarif => {
            // One SARIF run per host.
            let mut document = Value::Null;
            for (host, f) in hosts.iter().zip(&findings) {
                let log = report::sarif(&host.config, f);
                match document["runs"].as_array_mut() {
                    Some(runs) => runs.extend(log["runs"].as_array().cloned().unwrap_or_default()),
                    None => document = log,
                }
            }
            serde_json::to_writer_pretty(&mut out, &document).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        FindingsFormat::Github => {
            for (host, f) in hosts.iter().zip(&findings) {
                out.write_all(report::github(&host.config, f).as_bytes())
                    .into_diagnostic()?;
            }
        }
    }
    out.flush().into_diagnostic()?;
    let errors = findings
        .iter()
        .flatten()
        .any(|f| f.severity == Severity::Error);
    Ok(ExitCode::from(if errors { EXIT_FINDINGS } else { EXIT_OK }))
}

/// The folders of the fleet directory, sorted.
fn host_folders(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| miette!("{}: {e}", dir.display()))?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    Ok(folders)
}

/// A host's configuration files: `jail.conf` (or the folder's other
/// `*.conf` files when it has none) and `jail.conf.d/*.conf`.
fn host_files(folder: &Path) -> Result<Vec<PathBuf>> {
    let read =
        |dir: &Path| input::conf_files_in(dir).map_err(|e| miette!("{}: {e}", dir.display()));
    let main = folder.join("jail.conf");
    let mut files = if main.is_file() {
        vec![main]
    } else {
        read(folder)?
            .into_iter()
            .filter(|f| f.file_name().is_none_or(|n| n != "rc.conf"))
            .collect()
    };
    let conf_d = folder.join("jail.conf.d");
    if conf_d.is_dir() {
        files.extend(read(&conf_d)?);
    }
    Ok(files)
}

/// The host's `rc.conf`, when its folder has one.
fn rc_facts(folder: &Path) -> Result<HostFacts> {
    let path = folder.join("rc.conf");
    if !path.is_file() {
        return Ok(HostFacts::default());
    }
    let text = std::fs::read(&path).map_err(|e| miette!("{}: {e}", path.display()))?;
    Ok(HostFacts {
        rc_conf: Some(RcFacts {
            conf: RcConf::parse(&String::from_utf8_lossy(&text)),
            path,
        }),
        live: None,
    })
}
