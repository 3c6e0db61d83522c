//! `jailconf eval`: the effective configuration, as jail(8) computes it.

use std::io::Write;
use std::process::ExitCode;

use jailconf_parser::{dump, Config, DiskLoader};
use miette::{IntoDiagnostic, Result};

use crate::cli::{ColorChoice, EvalArgs, EXIT_FINDINGS, EXIT_OK};
use crate::{input, json, render};

/// Runs `jailconf eval`.
pub fn run(args: &EvalArgs, color: ColorChoice) -> Result<ExitCode> {
    let main = match input::read_main(&args.file) {
        Ok(main) => main,
        Err(message) => {
            // jail(8) reports an unreadable file and exits 1.
            render::fatal(
                &miette::miette!(
                    help = format!("jail(8) says: jail: {message}"),
                    "cannot read {message}"
                ),
                color,
            );
            return Ok(ExitCode::from(EXIT_FINDINGS));
        }
    };
    let config = Config::load(main, &DiskLoader, args.target.target);
    render::diagnostics_to_stderr(&config.sources, &config.diagnostics, color);
    let code = if config.fatal { EXIT_FINDINGS } else { EXIT_OK };
    // One buffer for the whole output: a locked stdout alone is flushed at
    // every line, which on a large host costs more than evaluating it.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    if args.json {
        let value = json::config_to_json(&config);
        serde_json::to_writer_pretty(&mut out, &value).into_diagnostic()?;
        writeln!(out).into_diagnostic()?;
    } else if config.fatal {
        // jail(8) prints nothing when it cannot read the configuration.
    } else if let Some(separator) = &args.separator {
        dump::write_jail_e(&mut out, &config, separator.as_bytes()).into_diagnostic()?;
    } else {
        write_human(&mut out, &config).into_diagnostic()?;
    }
    out.flush().into_diagnostic()?;
    Ok(ExitCode::from(code))
}

/// One block per jail, one `name = value` line per parameter.
fn write_human(out: &mut impl Write, config: &Config) -> std::io::Result<()> {
    for (i, jail) in config.jails.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "{}", jail.name_str())?;
        for param in &jail.params {
            write!(out, "    {}", param.name_str())?;
            if !param.values.is_empty() {
                write!(out, " = ")?;
                for (j, value) in param.values.iter().enumerate() {
                    if j > 0 {
                        write!(out, ", ")?;
                    }
                    dump::write_quoted(out, &value.text)?;
                }
            }
            writeln!(out)?;
        }
    }
    Ok(())
}
