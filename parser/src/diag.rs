//! The diagnostic type shared by every jailconf crate. No rendering here.

use crate::source::Span;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something to know.
    Info,
    /// Probably a mistake.
    Warning,
    /// jail(8) rejects or mis-handles it.
    Error,
}

/// A place in the source with a message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What about it (may be empty).
    pub message: String,
}

/// One replacement of a byte range of a file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TextEdit {
    /// The range to replace.
    pub span: Span,
    /// The replacement text.
    pub new_text: String,
}

/// A fix for a diagnostic: text edits, marked safe when they cannot change
/// what the user meant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Fix {
    /// One line describing the fix.
    pub title: String,
    /// Whether applying it without review is safe.
    pub safe: bool,
    /// The edits.
    pub edits: Vec<TextEdit>,
}

/// A problem found in a configuration.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// A stable identifier for the kind of problem (e.g. `syntax-error`).
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// Where it is.
    pub primary: Label,
    /// Related places.
    pub secondary: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// jail(8)'s own message for the same problem, when it reports one.
    pub jail_message: Option<String>,
    /// An automatic fix.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// An error with a primary label.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic::new(code, Severity::Error, message, span)
    }

    /// A warning with a primary label.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Diagnostic::new(code, Severity::Warning, message, span)
    }

    /// A diagnostic of any severity.
    pub fn new(
        code: &'static str,
        severity: Severity,
        message: impl Into<String>,
        span: Span,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            help: None,
            jail_message: None,
            fix: None,
        }
    }

    /// Sets the primary label's message.
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets jail(8)'s message.
    pub fn with_jail_message(mut self, message: impl Into<String>) -> Self {
        self.jail_message = Some(message.into());
        self
    }
}
