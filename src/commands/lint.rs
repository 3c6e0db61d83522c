//! `jailconf lint`: rules over one or more configurations.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jailconf_lint::facts::{LiveHost, RcFacts};
use jailconf_lint::rc_conf::RcConf;
use jailconf_lint::{fix, lint, HostFacts, LintOptions};
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::settings::{self, LoadedSettings};
use jailconf_parser::{Config, DiskLoader, Target};
use miette::{miette, IntoDiagnostic, Result};

use crate::cli::{ColorChoice, FindingsFormat, LintArgs, EXIT_FINDINGS, EXIT_OK};
use crate::{diff, fsutil, input, render, report};

/// Default configuration when no path is given.
const DEFAULT_CONF: &str = "/etc/jail.conf";
const DEFAULT_CONF_DIR: &str = "/etc/jail.conf.d";

/// Runs `jailconf lint`.
pub fn run(args: &LintArgs, color: ColorChoice) -> Result<ExitCode> {
    if let Some(dir) = &args.fleet {
        return crate::commands::fleet::run(dir, args, color);
    }
    let files = input_files(&args.paths)?;
    let settings = match files.first() {
        Some(first) => settings::discover(first.parent().unwrap_or(Path::new(".")))
            .map_err(|e| miette!("{e}"))?,
        None => None,
    };
    let (target, options) = target_and_options(args, settings.as_ref());
    let facts = host_facts(args, settings.as_ref())?;

    let mut config = load_config(&files, target)?;
    let mut findings = lint(&config, &facts, &options);

    if args.fix && apply_fixes(&config, &findings, args)? && !args.diff {
        // Report what is left after fixing.
        config = load_config(&files, target)?;
        findings = lint(&config, &facts, &options);
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        FindingsFormat::Human => {
            render::diagnostics_to_stderr(&config.sources, &findings, color);
            summary(&findings);
        }
        FindingsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report::json(&config, &findings))
                .into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        FindingsFormat::Sarif => {
            serde_json::to_writer_pretty(&mut out, &report::sarif(&config, &findings))
                .into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        FindingsFormat::Github => out
            .write_all(report::github(&config, &findings).as_bytes())
            .into_diagnostic()?,
    }
    out.flush().into_diagnostic()?;
    let errors = findings.iter().any(|f| f.severity == Severity::Error);
    Ok(ExitCode::from(if errors { EXIT_FINDINGS } else { EXIT_OK }))
}

/// The release to follow and the rule selection: the command line over
/// `jailconf.toml` over the defaults.
pub(crate) fn target_and_options(
    args: &LintArgs,
    settings: Option<&LoadedSettings>,
) -> (Target, LintOptions) {
    let target = args
        .target
        .or_else(|| settings.and_then(|s| s.settings.target))
        .unwrap_or_default();
    let mut options = settings
        .map(|s| LintOptions::from_settings(&s.settings.lint))
        .unwrap_or_default();
    if let Some(select) = &args.select {
        options.select = Some(select.clone());
    }
    options.ignore.extend(args.ignore.iter().cloned());
    options.warn_as_error = args.warn_as_error;
    (target, options)
}

/// The files to lint: the arguments (directories expanded to their
/// `*.conf` files), or the system default.
fn input_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if paths.is_empty() {
        if Path::new(DEFAULT_CONF).exists() {
            files.push(PathBuf::from(DEFAULT_CONF));
        }
        if Path::new(DEFAULT_CONF_DIR).is_dir() {
            files.extend(input::conf_files_in(Path::new(DEFAULT_CONF_DIR)).into_diagnostic()?);
        }
        if files.is_empty() {
            return Err(miette!(
                "nothing to lint: {DEFAULT_CONF} does not exist (name the files to lint)"
            ));
        }
        return Ok(files);
    }
    for path in paths {
        if path.is_dir() {
            let found =
                input::conf_files_in(path).map_err(|e| miette!("{}: {e}", path.display()))?;
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Loads the files as one configuration: each is a top-level file as
/// jail(8) would read it with `-f`; files another one includes are linted
/// as part of it.
pub(crate) fn load_config(files: &[PathBuf], target: Target) -> Result<Config> {
    let mut mains = Vec::new();
    for file in files {
        mains.push(input::read_main(file).map_err(|e| miette!("{e}"))?);
    }
    Ok(Config::load_many(mains, &DiskLoader, target))
}

fn host_facts(args: &LintArgs, settings: Option<&LoadedSettings>) -> Result<HostFacts> {
    let rc_path = args
        .rc_conf
        .clone()
        .or_else(|| settings.and_then(|s| s.settings.host.rc_conf.as_ref().map(|p| s.resolve(p))));
    let rc_conf = match rc_path {
        Some(path) => {
            let text = std::fs::read(&path).map_err(|e| miette!("{}: {e}", path.display()))?;
            Some(RcFacts {
                conf: RcConf::parse(&String::from_utf8_lossy(&text)),
                path,
            })
        }
        None => None,
    };
    let live = if args.host {
        Some(
            LiveHost::read()
                .map_err(|e| miette!("cannot read the host's interfaces with ifconfig: {e}"))?,
        )
    } else {
        None
    };
    Ok(HostFacts { rc_conf, live })
}

/// Applies fixes; returns whether any file changed (or would, with --diff).
fn apply_fixes(config: &Config, findings: &[Diagnostic], args: &LintArgs) -> Result<bool> {
    let fixed = fix::apply(
        |file| config.sources.get(file).text().to_vec(),
        findings,
        args.unsafe_fixes,
    );
    for (file, text) in &fixed {
        let source = config.sources.get(*file);
        if args.diff {
            let diff = diff::unified(&source.name, source.text(), text);
            std::io::stdout()
                .write_all(diff.as_bytes())
                .into_diagnostic()?;
        } else {
            fsutil::write_atomic(&source.path, text)
                .map_err(|e| miette!("{}: {e}", source.path.display()))?;
        }
    }
    Ok(!fixed.is_empty())
}

pub(crate) fn summary(findings: &[Diagnostic]) {
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let mut err = std::io::stderr().lock();
    if findings.is_empty() {
        let _ = writeln!(err, "No problems found.");
    } else {
        let _ = writeln!(
            err,
            "Found {errors} error{}, {warnings} warning{} and {infos} note{}.",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            if infos == 1 { "" } else { "s" },
        );
    }
}
