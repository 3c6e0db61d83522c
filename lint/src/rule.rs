//! What a lint rule is.

use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::source::Span;

use crate::context::{Batch, ByPlace, Context, JailRef, Place};

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
    pub check: Check,
}

/// How a rule looks at the configuration.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// All at once.
    Config(CheckConfig),
    /// One jail at a time, in order, then reports (see [`JailCheck`]).
    /// The linter runs these rules side by side over batches of jails:
    /// every such rule reads a batch while it is still in the processor's
    /// cache, where each rule looping over every jail would read a large
    /// configuration from memory again.
    Jails(StartJailCheck),
}

/// A [`Check::Config`] rule's check.
pub type CheckConfig = fn(&Context<'_>, &mut Report<'_>);

/// Starts a [`Check::Jails`] rule's check on a configuration.
pub type StartJailCheck = for<'c, 'a> fn(&'c Context<'a>) -> Box<dyn JailCheck<'c, 'a> + 'c>;

/// A rule's check in progress: it sees the jails one by one, in order,
/// then finishes (findings about one jail can be reported as it is
/// visited, findings that group jails once all are seen).
pub trait JailCheck<'c, 'a> {
    /// Looks at the next jail, one of `batch`'s jails (whose hook commands
    /// and network pictures last as long as the batch: what the check
    /// keeps of them, it copies).
    fn visit(&mut self, jail: &'c JailRef<'a>, batch: &Batch<'_, 'a>, report: &mut Report<'_>);
    /// Called once every jail has been visited.
    fn finish(self: Box<Self>, report: &mut Report<'_>);
}

/// A [`JailCheck`] from a state and two functions: `visit` looks at each
/// jail, `finish` at the final state.
pub fn jail_check<'c, 'a: 'c, S: 'c>(
    state: S,
    mut visit: impl FnMut(&mut S, &'c JailRef<'a>, &mut Report<'_>) + 'c,
    finish: impl FnOnce(S, &mut Report<'_>) + 'c,
) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    batch_check(
        state,
        move |state: &mut S, jail: &'c JailRef<'a>, _: &Batch<'_, 'a>, report: &mut Report<'_>| {
            visit(state, jail, report)
        },
        finish,
    )
}

/// [`jail_check`] for a rule that reads the jails' hook commands or
/// network pictures: `visit` gets the jail's [`Batch`] too.
pub fn batch_check<'c, 'a, S: 'c>(
    state: S,
    visit: impl FnMut(&mut S, &'c JailRef<'a>, &Batch<'_, 'a>, &mut Report<'_>) + 'c,
    finish: impl FnOnce(S, &mut Report<'_>) + 'c,
) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    Box::new(ByFunctions {
        state,
        visit,
        finish,
    })
}

/// A [`JailCheck`] that gathers findings by place ([`ByPlace`]): `visit`
/// adds a jail's places, `report_place` reports each place once every jail
/// has been visited (a statement many jails inherit is reported once).
pub fn place_check<'c, 'a: 'c, T: 'c>(
    mut visit: impl FnMut(&mut ByPlace<T>, &'c JailRef<'a>) + 'c,
    report_place: impl FnMut(Place<T>, &mut Report<'_>) + 'c,
) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    batch_place_check(
        move |found: &mut ByPlace<T>, jail: &'c JailRef<'a>, _: &Batch<'_, 'a>| visit(found, jail),
        report_place,
    )
}

/// [`place_check`] for a rule that reads the jails' hook commands or
/// network pictures: `visit` gets the jail's [`Batch`] too.
pub fn batch_place_check<'c, 'a: 'c, T: 'c>(
    mut visit: impl FnMut(&mut ByPlace<T>, &'c JailRef<'a>, &Batch<'_, 'a>) + 'c,
    mut report_place: impl FnMut(Place<T>, &mut Report<'_>) + 'c,
) -> Box<dyn JailCheck<'c, 'a> + 'c> {
    batch_check(
        ByPlace::default(),
        move |found, jail, batch, _| visit(found, jail, batch),
        move |found, report| {
            for place in found.into_places() {
                report_place(place, report);
            }
        },
    )
}

/// See [`batch_check`].
struct ByFunctions<S, V, F> {
    state: S,
    visit: V,
    finish: F,
}

impl<'c, 'a, S, V, F> JailCheck<'c, 'a> for ByFunctions<S, V, F>
where
    V: FnMut(&mut S, &'c JailRef<'a>, &Batch<'_, 'a>, &mut Report<'_>),
    F: FnOnce(S, &mut Report<'_>),
{
    fn visit(&mut self, jail: &'c JailRef<'a>, batch: &Batch<'_, 'a>, report: &mut Report<'_>) {
        (self.visit)(&mut self.state, jail, batch, report);
    }

    fn finish(self: Box<Self>, report: &mut Report<'_>) {
        (self.finish)(self.state, report);
    }
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
