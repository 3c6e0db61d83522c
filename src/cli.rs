//! Command-line definitions.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
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

/// The subcommand `argv` (program name first) names, also when its
/// arguments are invalid.
pub fn subcommand_name(argv: &[OsString]) -> Option<String> {
    Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(argv)
        .ok()?
        .subcommand_name()
        .map(str::to_string)
}

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
    /// Check configurations for mistakes jail(8) would only find at boot.
    #[command(after_help = LINT_HELP)]
    Lint(LintArgs),
    /// Show the documentation of a lint rule.
    Explain(ExplainArgs),
    /// Format configurations (the same as `jailfmt`).
    #[command(after_help = crate::commands::fmt::HELP)]
    Fmt(crate::commands::fmt::FmtArgs),
    /// Run the language server: speaks LSP on standard input and output.
    #[command(after_help = crate::commands::lsp::HELP)]
    Lsp(crate::commands::lsp::LspArgs),
    /// Generate shell completions or man pages (for packagers; see
    /// docs/install.md).
    #[command(hide = true)]
    Generate(crate::commands::generate::GenerateArgs),
    /// Show what `jailconf apply` would change on this host: compare the
    /// running jails (jls) with the configuration.
    #[command(after_help = crate::commands::plan::HELP)]
    Plan(crate::commands::plan::PlanArgs),
    /// Converge the host to the configuration: create, modify, restart or
    /// remove jails through jail(8), after showing the plan.
    #[command(after_help = crate::commands::apply::HELP)]
    Apply(crate::commands::apply::ApplyArgs),
    /// Show configured and running jails side by side: state, jid,
    /// hostname, path, addresses (VNET ones too) and drift.
    #[command(after_help = crate::commands::status::HELP)]
    Status(crate::commands::status::StatusArgs),
    /// Start a single-process jail in the foreground.
    #[command(after_help = crate::commands::run::HELP)]
    Run(crate::commands::run::RunArgs),
    /// Write a new jail's file from a template jail's file (optionally
    /// with a ZFS clone for its root).
    #[command(after_help = crate::commands::new::HELP)]
    New(crate::commands::new::NewArgs),
    /// Stop a jail and, with --data, remove its files or clone dataset.
    #[command(after_help = crate::commands::destroy::HELP)]
    Destroy(crate::commands::destroy::DestroyArgs),
}

/// The configuration of the host, as jail(8) and rc.d read it: shared by
/// `plan`, `apply`, `status` and the other host commands.
#[derive(Clone, Debug, Args)]
pub struct HostConfigArgs {
    /// The configuration: a file, or a directory meaning its *.conf files
    /// (default: /etc/jail.conf and /etc/jail.conf.d/*.conf).
    #[arg(short = 'f', long = "config", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// FreeBSD release whose jail(8) to follow: 13, 14 or 15 (default: from
    /// jailconf.toml, else 15).
    #[arg(long, value_name = "RELEASE")]
    pub target: Option<Target>,
}

const LINT_HELP: &str = "\
Without PATH, lints /etc/jail.conf and /etc/jail.conf.d/*.conf. A directory
means its *.conf files. Files that form one configuration (through
.include, or as the files of one jail.conf.d folder) are linted together,
so duplicates across files are found. Settings come from jailconf.toml,
found upward from the first file.

Suppress a finding with a comment `# jailconf: ignore[JC010]` on its line,
or on the line above a statement or jail block.

Exit status:
  0  no errors (warnings only, if any)
  1  errors found
  2  bad arguments or an I/O failure";

/// Output format of findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    /// Source excerpts with labels and hints.
    Human,
    /// One JSON document (schema in the README).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Arguments of `jailconf lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files or directories to lint.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Only run these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,

    /// Do not run these rules.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Report warnings as errors (and exit 1 on them).
    #[arg(long)]
    pub warn_as_error: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingsFormat::Human)]
    pub format: FindingsFormat,

    /// The host's rc.conf, for host-aware rules.
    #[arg(long, value_name = "FILE")]
    pub rc_conf: Option<PathBuf>,

    /// Read facts from the running host (FreeBSD): interfaces, paths.
    #[arg(long)]
    pub host: bool,

    /// Apply safe fixes in place.
    #[arg(long)]
    pub fix: bool,

    /// With --fix: apply fixes that may change meaning too.
    #[arg(long, requires = "fix")]
    pub unsafe_fixes: bool,

    /// With --fix: print the changes as a diff instead of writing them.
    #[arg(long, requires = "fix")]
    pub diff: bool,

    /// FreeBSD release to follow (default: from jailconf.toml, else 15).
    #[arg(long, value_name = "RELEASE")]
    pub target: Option<Target>,

    /// Lint a fleet: each folder of DIR is one host's configuration
    /// (jail.conf, jail.conf.d/, *.conf, optional rc.conf); also compares
    /// hosts (JC100, JC101).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["paths", "rc_conf", "host", "fix"])]
    pub fleet: Option<PathBuf>,
}

/// Arguments of `jailconf explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (JC010) or name (duplicate-jail).
    #[arg(value_name = "RULE", required_unless_present = "all")]
    pub rule: Option<String>,

    /// Every rule.
    #[arg(long)]
    pub all: bool,

    /// Print JSON.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
}

/// Output format of `jailconf explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Plain text.
    Text,
    /// Markdown (as in docs/rules.md).
    Markdown,
    /// JSON.
    Json,
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
