//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jailconf_parser::Target;

/// Exit status: the command succeeded (warnings only, if any).
pub const EXIT_OK: u8 = 0;
/// Exit status: errors were found in the configuration.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: bad arguments or an I/O failure.
pub const EXIT_USAGE: u8 = 2;

const EXIT_CODES: &str = "\
Exit status:
  0  success (warnings only, if any)
  1  the configuration has errors
  2  bad arguments or an I/O failure";

/// Check, evaluate and manage FreeBSD jail.conf(5) files.
#[derive(Debug, Parser)]
#[command(name = "jailconf", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to use colour in diagnostics (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print each jail's effective parameters after inheritance and
    /// variable expansion, as jail(8) computes them.
    #[command(after_help = EVAL_HELP)]
    Eval(EvalArgs),
}

const EVAL_HELP: &str = "\
With -e SEP the output and exit status are exactly those of
`jail -e SEP -f FILE` on the chosen FreeBSD release: one line per jail,
parameters joined by SEP; exit status 1 when jail(8) would refuse the
file (syntax errors, a missing include). Diagnostics go to stderr.

Exit status:
  0  the configuration was evaluated (variable warnings do not count)
  1  the configuration cannot be read by jail(8)
  2  bad arguments";

/// Arguments of `jailconf eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Print exactly what `jail -e SEP` prints.
    #[arg(
        short = 'e',
        value_name = "SEP",
        conflicts_with = "json",
        allow_hyphen_values = true
    )]
    pub separator: Option<String>,

    /// Print the model as JSON (schema in the README).
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub target: TargetArg,

    /// The configuration file (`-` for standard input).
    #[arg(value_name = "FILE", default_value = "/etc/jail.conf")]
    pub file: PathBuf,
}

/// The `--target` option.
#[derive(Debug, Args)]
pub struct TargetArg {
    /// FreeBSD release whose jail(8) to follow: 13, 14 or 15.
    #[arg(long, value_name = "RELEASE", default_value = "15")]
    pub target: Target,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}
