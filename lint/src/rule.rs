//! What a lint rule is.

use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::source::Span;

use crate::context::Context;

/// The group a rule belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// jail(8) rejects the file or misreads it.
    Correctness,
    /// Interfaces, addresses, bridges.
    Networking,
    /// Hardening.
    Security,
    /// Day-to-day operation of the host.
    Operations,
}

/// A lint rule: stable code and name, documentation and a check function.
#[derive(Debug)]
pub struct Rule {
    /// Stable code, `JC` and three digits; never reused.
    pub code: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    /// Group.
    pub category: Category,
    /// Default severity.
    pub severity: Severity,
    /// One line describing what it finds.
    pub summary: &'static str,
    /// Markdown with the sections `## What it does`, `## Why`,
    /// `## Example` and `## Fix`.
    pub docs: &'static str,
    /// Whether it needs host facts (rc.conf or the live host) to say
    /// anything; without them it stays silent.
    pub needs_host_facts: bool,
    /// Whether its findings carry automatic fixes.
    pub fixable: bool,
    /// The check.
    pub check: fn(&Context<'_>, &mut Report<'_>),
}

/// Collects one rule's findings.
pub struct Report<'r> {
    rule: &'static Rule,
    findings: &'r mut Vec<Diagnostic>,
}

impl<'r> Report<'r> {
    /// A report for `rule` appending to `findings`.
    pub fn new(rule: &'static Rule, findings: &'r mut Vec<Diagnostic>) -> Self {
        Report { rule, findings }
    }

    /// A new finding of this rule at its default severity; add it with
    /// [`Report::push`].
    pub fn finding(&self, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::new(self.rule.code, self.rule.severity, message, span)
    }

    /// Records a finding (its code is set to the rule's).
    pub fn push(&mut self, mut diagnostic: Diagnostic) {
        diagnostic.code = self.rule.code;
        self.findings.push(diagnostic);
    }
}
