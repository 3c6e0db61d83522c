//! Rendering diagnostics for people: codespan-reporting for findings in
//! the configuration, miette for the one fatal error that ends a run.

use std::io::{IsTerminal, Write};

use codespan_reporting::diagnostic::{
    Diagnostic as CsDiagnostic, Label, LabelStyle, Severity as CsSeverity,
};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{self, StandardStream, WriteColor};
use codespan_reporting::term::{self, Config as TermConfig};
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::source::Sources;

use crate::cli::ColorChoice;

/// Whether to colour output on stderr.
fn stderr_color(choice: ColorChoice) -> termcolor::ColorChoice {
    match choice {
        ColorChoice::Always => termcolor::ColorChoice::Always,
        ColorChoice::Never => termcolor::ColorChoice::Never,
        ColorChoice::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
                || !std::io::stderr().is_terminal()
            {
                termcolor::ColorChoice::Never
            } else {
                termcolor::ColorChoice::Auto
            }
        }
    }
}

/// The files of a configuration as codespan-reporting sees them: UTF-8
/// text with every invalid byte shown as `?` (so byte offsets still match).
pub struct DisplayFiles {
    files: SimpleFiles<String, String>,
}

impl DisplayFiles {
    /// Prepares every file of `sources`.
    pub fn new(sources: &Sources) -> Self {
        let mut files = SimpleFiles::new();
        for (_, file) in sources.iter() {
            files.add(file.name.clone(), display_text(file.text()));
        }
        DisplayFiles { files }
    }
}

/// `bytes` as UTF-8, each invalid byte replaced by `?`.
pub fn display_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push('?');
        }
    }
    out
}

/// Control characters (a stray CR or form feed quoted by jail(8)) shown as
/// escapes, so they cannot garble the terminal.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn convert(diagnostic: &Diagnostic) -> CsDiagnostic<usize> {
    let severity = match diagnostic.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    };
    let span = &diagnostic.primary.span;
    let mut labels = vec![Label::new(
        LabelStyle::Primary,
        span.file.0 as usize,
        span.range.start as usize..span.range.end as usize,
    )
    .with_message(diagnostic.primary.message.clone())];
    for label in &diagnostic.secondary {
        labels.push(
            Label::new(
                LabelStyle::Secondary,
                label.span.file.0 as usize,
                label.span.range.start as usize..label.span.range.end as usize,
            )
            .with_message(label.message.clone()),
        );
    }
    let mut notes = Vec::new();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    if let Some(message) = &diagnostic.jail_message {
        notes.push(format!("jail(8) says: jail: {}", escape_controls(message)));
    }
    CsDiagnostic::new(severity)
        .with_code(diagnostic.code)
        .with_message(diagnostic.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}

/// Writes diagnostics to any colour-capable writer.
pub fn write_diagnostics(
    out: &mut dyn WriteColor,
    files: &DisplayFiles,
    diagnostics: &[Diagnostic],
) {
    let config = TermConfig::default();
    for diagnostic in diagnostics {
        // A failure to render (a span outside its file) must not hide the
        // message itself.
        if term::emit_to_write_style(out, &config, &files.files, &convert(diagnostic)).is_err() {
            let _ = writeln!(out, "{}: {}", diagnostic.code, diagnostic.message);
        }
    }
}

/// Renders diagnostics to standard error.
pub fn diagnostics_to_stderr(sources: &Sources, diagnostics: &[Diagnostic], color: ColorChoice) {
    if diagnostics.is_empty() {
        return;
    }
    let files = DisplayFiles::new(sources);
    let stream = StandardStream::stderr(stderr_color(color));
    let mut lock = stream.lock();
    write_diagnostics(&mut lock, &files, diagnostics);
}

/// Renders the fatal error that ends the run.
pub fn fatal(report: &miette::Report, color: ColorChoice) {
    let colored = stderr_color(color) != termcolor::ColorChoice::Never;
    let handler = miette::GraphicalReportHandler::new_themed(if colored {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    });
    let mut text = String::new();
    if handler.render_report(&mut text, report.as_ref()).is_err() {
        text = format!("error: {report}\n");
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}
