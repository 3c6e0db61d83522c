//! `jailfmt` and `jailconf fmt`: format files in place, check them, or
//! format standard input. Both binaries run this module.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser};
use codespan_reporting::term::termcolor::{self, Color, ColorSpec, StandardStream, WriteColor};
use jailconf_fmt::{FormatError, FormatOptions};
use jailconf_parser::model::io_message;
use jailconf_parser::settings::{self, Indent, LoadedSettings};
use jailconf_parser::source::FileId;
use jailconf_parser::{Config, MainFile, NoFiles, Target};
use miette::{miette, Result};

use crate::cli::{ColorChoice, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};
use crate::{diff, fsutil, input, render};

/// Help text after the options of `jailfmt` and `jailconf fmt`.
pub const HELP: &str = "\
Formats files in place: 4-space indentation, one statement per line,
single spaces around `=`/`+=` and after `,`, `=` aligned in runs of
assignments, long value lists wrapped, comments kept where they are.
Values are never rewritten. A directory means its *.conf files. With `-`,
or without PATH when standard input is not a terminal, formats standard
input to standard output. Without PATH otherwise: /etc/jail.conf and
/etc/jail.conf.d/*.conf.

Defaults come from the [format] section of the jailconf.toml found upward
from each file (from --stdin-filepath, or the current directory, for
standard input); options override it. A file with syntax errors is never
changed: its errors are reported and the other files are still formatted.

Exit status:
  0  success (files formatted, or already formatted)
  1  --check: some files would change
  2  syntax errors, an I/O error or bad arguments";

/// Arguments of `jailfmt` and `jailconf fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories to format in place; `-` for standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Write nothing; list the files that would change and exit 1 if any.
    #[arg(long)]
    pub check: bool,

    /// Write nothing; print the changes as a unified diff.
    #[arg(long)]
    pub diff: bool,

    /// The path of the text on standard input: where to look for
    /// jailconf.toml and what to call it in messages.
    #[arg(long, value_name = "PATH")]
    pub stdin_filepath: Option<PathBuf>,

    /// Indentation: a number of spaces (0 to 16) or `tab`.
    #[arg(long, value_name = "N|tab", value_parser = parse_indent)]
    pub indent: Option<Indent>,

    /// Do not align `=`/`+=` in runs of consecutive assignments.
    #[arg(long)]
    pub no_align: bool,

    /// Wrap value lists whose line is longer than N characters.
    #[arg(long, value_name = "N")]
    pub max_width: Option<usize>,

    /// FreeBSD release whose grammar to follow (default: from
    /// jailconf.toml, else 15).
    #[arg(long, value_name = "RELEASE")]
    pub target: Option<Target>,
}

// The whole `jailfmt` command line. Defined here, not in the binary, so
// that `jailconf generate` builds completions and the man page of
// `jailfmt` from the same definition (`jailfmt_command`). The doc comment
// below is jailfmt's `about` text.

/// Format FreeBSD jail.conf(5) files.
#[derive(Debug, Parser)]
#[command(name = "jailfmt", version, after_help = HELP)]
pub struct JailfmtCli {
    /// When to use colour in diagnostics and diffs (also honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(flatten)]
    pub args: FmtArgs,
}

/// The clap command of `jailfmt`.
pub fn jailfmt_command() -> clap::Command {
    JailfmtCli::command()
}

fn parse_indent(text: &str) -> std::result::Result<Indent, String> {
    if text == "tab" {
        return Ok(Indent::Tab);
    }
    match text.parse::<u8>() {
        Ok(n) if n <= 16 => Ok(Indent::Spaces(n)),
        _ => Err(format!(
            "expected a number of spaces from 0 to 16 or `tab`, not `{text}`"
        )),
    }
}

/// System configuration formatted when no path is given.
const DEFAULT_CONF: &str = "/etc/jail.conf";
const DEFAULT_CONF_DIR: &str = "/etc/jail.conf.d";

/// One thing to format.
enum Input {
    Stdin,
    File(PathBuf),
}

/// What happened over all inputs.
#[derive(Default)]
struct Outcome {
    /// Some file differs from its formatted text.
    changed: bool,
    /// Some file could not be formatted (syntax or I/O error).
    failed: bool,
}

/// Runs `jailfmt` / `jailconf fmt`.
pub fn run(args: &FmtArgs, color: ColorChoice) -> Result<ExitCode> {
    let mut outcome = Outcome::default();
    let inputs = inputs(args, color, &mut outcome)?;
    if args.stdin_filepath.is_some() && !inputs.iter().any(|i| matches!(i, Input::Stdin)) {
        return Err(miette!(
            "--stdin-filepath is only used when formatting standard input (`-`)"
        ));
    }
    let mut runner = Runner {
        args,
        color,
        settings: HashMap::new(),
        outcome,
    };
    for input in &inputs {
        runner.format_input(input);
    }
    let outcome = runner.outcome;
    let code = if outcome.failed {
        EXIT_USAGE
    } else if args.check && outcome.changed {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    };
    Ok(ExitCode::from(code))
}

/// The inputs named by the arguments: files, directories' `*.conf` files
/// and standard input.
fn inputs(args: &FmtArgs, color: ColorChoice, outcome: &mut Outcome) -> Result<Vec<Input>> {
    if args.paths.is_empty() {
        if !std::io::stdin().is_terminal() {
            return Ok(vec![Input::Stdin]);
        }
        let mut files = Vec::new();
        if Path::new(DEFAULT_CONF).exists() {
            files.push(Input::File(PathBuf::from(DEFAULT_CONF)));
        }
        if Path::new(DEFAULT_CONF_DIR).is_dir() {
            let found = input::conf_files_in(Path::new(DEFAULT_CONF_DIR))
                .map_err(|e| miette!("{DEFAULT_CONF_DIR}: {}", io_message(&e)))?;
            files.extend(found.into_iter().map(Input::File));
        }
        if files.is_empty() {
            return Err(miette!(
                "nothing to format: {DEFAULT_CONF} does not exist (name the files to format, or `-` for standard input)"
            ));
        }
        return Ok(files);
    }
    let mut inputs = Vec::new();
    let mut stdin_seen = false;
    for path in &args.paths {
        if path.as_os_str() == "-" {
            if stdin_seen {
                return Err(miette!("standard input (`-`) can be formatted only once"));
            }
            stdin_seen = true;
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            match input::conf_files_in(path) {
                Ok(found) => inputs.extend(found.into_iter().map(Input::File)),
                Err(e) => {
                    report_error(&format!("{}: {}", path.display(), io_message(&e)), color);
                    outcome.failed = true;
                }
            }
        } else {
            inputs.push(Input::File(path.clone()));
        }
    }
    Ok(inputs)
}

struct Runner<'a> {
    args: &'a FmtArgs,
    color: ColorChoice,
    /// Settings found per directory.
    settings: HashMap<PathBuf, Option<LoadedSettings>>,
    outcome: Outcome,
}

impl Runner<'_> {
    fn format_input(&mut self, input: &Input) {
        if let Err(message) = self.try_format(input) {
            report_error(&message, self.color);
            self.outcome.failed = true;
        }
    }

    fn try_format(&mut self, input: &Input) -> std::result::Result<(), String> {
        let (name, text, dir) = match input {
            Input::Stdin => {
                let mut text = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut text)
                    .map_err(|e| format!("standard input: {}", io_message(&e)))?;
                let (name, dir) = match &self.args.stdin_filepath {
                    Some(path) => (path.display().to_string(), parent_dir(path)),
                    None => ("<stdin>".to_string(), PathBuf::from(".")),
                };
                (name, text, dir)
            }
            Input::File(path) => {
                let text = std::fs::read(path)
                    .map_err(|e| format!("{}: {}", path.display(), io_message(&e)))?;
                (path.display().to_string(), text, parent_dir(path))
            }
        };
        let (options, target) = self.options_for(&dir)?;
        let formatted = match jailconf_fmt::format(&text, &options, target) {
            Ok(formatted) => formatted,
            Err(FormatError::Syntax(_)) => {
                self.report_syntax_errors(input, text, target);
                self.outcome.failed = true;
                return Ok(());
            }
            Err(error @ FormatError::TooLarge { .. }) => return Err(format!("{name}: {error}")),
        };
        let changed = formatted != text;
        self.outcome.changed |= changed;
        let mut stdout = std::io::stdout().lock();
        let io_error = |e: std::io::Error| format!("standard output: {}", io_message(&e));
        if self.args.diff {
            if changed {
                write_diff(&name, &text, &formatted, self.color).map_err(io_error)?;
            }
        } else if self.args.check {
            if changed {
                writeln!(stdout, "{name}").map_err(io_error)?;
            }
        } else {
            match input {
                Input::Stdin => {
                    stdout.write_all(&formatted).map_err(io_error)?;
                    stdout.flush().map_err(io_error)?;
                }
                Input::File(path) if changed => {
                    // Write through symbolic links, keeping them.
                    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
                    fsutil::write_atomic(&target, &formatted)
                        .map_err(|e| format!("{}: {}", path.display(), io_message(&e)))?;
                }
                Input::File(_) => {}
            }
        }
        Ok(())
    }

    /// Format options and target for a file in `dir`: jailconf.toml's,
    /// overridden by the command line.
    fn options_for(&mut self, dir: &Path) -> std::result::Result<(FormatOptions, Target), String> {
        if !self.settings.contains_key(dir) {
            let found = settings::discover(dir).map_err(|e| e.to_string())?;
            self.settings.insert(dir.to_path_buf(), found);
        }
        let found = self.settings[dir].as_ref().map(|s| &s.settings);
        let mut options = found
            .map(|s| FormatOptions::from_settings(&s.format))
            .unwrap_or_default();
        if let Some(indent) = self.args.indent {
            options.indent = indent;
        }
        if self.args.no_align {
            options.align = false;
        }
        if let Some(width) = self.args.max_width {
            options.max_width = width;
        }
        let target = self
            .args
            .target
            .or_else(|| found.and_then(|s| s.target))
            .unwrap_or_default();
        Ok((options, target))
    }

    /// Reports a file's syntax errors exactly as `jailconf eval` does.
    fn report_syntax_errors(&self, input: &Input, text: Vec<u8>, target: Target) {
        let main = match (input, &self.args.stdin_filepath) {
            (Input::File(path), _) | (Input::Stdin, Some(path)) => {
                MainFile::from_path(path.clone(), text)
            }
            (Input::Stdin, None) => MainFile::stdin(text),
        };
        let config = Config::load(main, &NoFiles, target);
        let syntax: Vec<_> = config
            .diagnostics
            .iter()
            .filter(|d| d.primary.span.file == FileId(0) && SYNTAX_CODES.contains(&d.code))
            .cloned()
            .collect();
        render::diagnostics_to_stderr(&config.sources, &syntax, self.color);
    }
}

/// The diagnostic codes the model gives syntax errors.
const SYNTAX_CODES: [&str; 5] = [
    "syntax-error",
    "unterminated-string",
    "unterminated-comment",
    "unterminated-variable",
    "stray-character",
];

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn report_error(message: &str, color: ColorChoice) {
    render::fatal(&miette!("{message}"), color);
}

/// Whether to colour standard output.
fn stdout_color(choice: ColorChoice) -> termcolor::ColorChoice {
    match choice {
        ColorChoice::Always => termcolor::ColorChoice::Always,
        ColorChoice::Never => termcolor::ColorChoice::Never,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                || !std::io::stdout().is_terminal()
            {
                termcolor::ColorChoice::Never
            } else {
                termcolor::ColorChoice::Auto
            }
        }
    }
}

/// Prints a unified diff, coloured per `--color`.
fn write_diff(name: &str, before: &[u8], after: &[u8], color: ColorChoice) -> std::io::Result<()> {
    let text = diff::unified(name, before, after);
    let stream = StandardStream::stdout(stdout_color(color));
    let mut out = stream.lock();
    for line in text.split_inclusive('\n') {
        let color = if line.starts_with("+++") || line.starts_with("---") {
            None
        } else if line.starts_with('+') {
            Some(Color::Green)
        } else if line.starts_with('-') {
            Some(Color::Red)
        } else if line.starts_with("@@") {
            Some(Color::Cyan)
        } else {
            None
        };
        match color {
            Some(color) => {
                out.set_color(ColorSpec::new().set_fg(Some(color)))?;
                let body = line.strip_suffix('\n').unwrap_or(line);
                out.write_all(body.as_bytes())?;
                out.reset()?;
                if body.len() < line.len() {
                    out.write_all(b"\n")?;
                }
            }
            None => out.write_all(line.as_bytes())?,
        }
    }
    out.flush()
}
