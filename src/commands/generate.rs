//! `jailconf generate` (hidden): shell completions and man pages, both
//! built from the clap definitions of `jailconf` ([`crate::cli::Cli`]) and
//! `jailfmt` ([`super::fmt::jailfmt_command`]). See docs/install.md.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Subcommand, ValueEnum};
use clap_complete::Shell;
use miette::{miette, Result};

use crate::cli::Cli;

/// Arguments of `jailconf generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: Generate,
}

/// What to generate.
#[derive(Debug, Subcommand)]
pub enum Generate {
    /// Print a shell completion script to standard output.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: CompletionShell,
        /// The binary to complete.
        #[arg(long, value_enum, default_value_t = Binary::Jailconf)]
        bin: Binary,
    },
    /// Write man pages (jailconf.1, jailconf-SUBCOMMAND.1, jailfmt.1) to DIR.
    Man {
        /// The directory to write to (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// Shells with completions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// The binaries of this package.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Binary {
    Jailconf,
    Jailfmt,
}

impl Binary {
    fn command(self) -> clap::Command {
        match self {
            Binary::Jailconf => Cli::command(),
            Binary::Jailfmt => super::fmt::jailfmt_command(),
        }
    }
}

/// Runs `jailconf generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    match &args.what {
        Generate::Completions { shell, bin } => {
            let shell = match shell {
                CompletionShell::Bash => Shell::Bash,
                CompletionShell::Zsh => Shell::Zsh,
                CompletionShell::Fish => Shell::Fish,
            };
            let mut cmd = bin.command();
            let name = cmd.get_name().to_owned();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, name, &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)
                .and_then(|()| out.flush())
                .map_err(|e| miette!("cannot write the completion script: {e}"))?;
        }
        Generate::Man { dir } => {
            let failed =
                |e: std::io::Error| miette!("cannot write man pages to {}: {e}", dir.display());
            std::fs::create_dir_all(dir).map_err(failed)?;
            // jailconf.1 and one page per visible subcommand (jailconf-lint.1, ...).
            clap_mangen::generate_to(Cli::command(), dir).map_err(failed)?;
            clap_mangen::Man::new(super::fmt::jailfmt_command())
                .generate_to(dir)
                .map_err(failed)?;
        }
    }
    Ok(ExitCode::from(crate::cli::EXIT_OK))
}
