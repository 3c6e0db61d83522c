//! Lint rules for FreeBSD's jail.conf(5): what today breaks jails at boot,
//! found at edit time.
//!
//! Every rule has a stable code (`JC001`…) and name, documentation and a
//! check over the semantic model (plus optional host facts). [`lint`] runs
//! the selected rules, applies severity overrides and inline suppressions,
//! and returns the findings in source order.

pub mod commands;
pub mod context;
pub mod facts;
pub mod fix;
pub mod fleet;
pub mod fstab;
pub(crate) mod hash;
pub mod rc_conf;
pub mod rule;
pub mod rules;
mod schedule;
mod shared_keys;
pub mod suppress;

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::settings::{LintSettings, SeverityOverride};
use jailconf_parser::Config;

pub use context::Context;
pub use facts::HostFacts;
pub use rule::{Category, Report, Rule};

/// Which rules run and how their findings are reported.
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// Only these rules (codes or names, or `ALL`); `None` means the
    /// default set (every rule but the opt-in ones, see
    /// [`rules::OPT_IN`]).
    pub select: Option<Vec<String>>,
    /// Never these rules.
    pub ignore: Vec<String>,
    /// Severity per rule (code or name).
    pub severity: BTreeMap<String, SeverityOverride>,
    /// Report warnings as errors.
    pub warn_as_error: bool,
    /// How many threads run the rules; `None`: one per available core
    /// (at most eight) for a large configuration, the calling thread
    /// alone for a small one. The findings are the same either way.
    pub workers: Option<NonZeroUsize>,
}

impl LintOptions {
    /// Options from a `[lint]` settings section.
    pub fn from_settings(settings: &LintSettings) -> Self {
        LintOptions {
            select: settings.select.clone(),
            ignore: settings.ignore.clone(),
            severity: settings.severity.clone(),
            warn_as_error: false,
            workers: None,
        }
    }

    fn names(rule: &Rule, list: &[String]) -> bool {
        list.iter().any(|s| {
            s.eq_ignore_ascii_case(rule.code) || s == rule.name || s.eq_ignore_ascii_case("all")
        })
    }

    /// Whether a rule runs.
    pub fn enabled(&self, rule: &Rule) -> bool {
        let selected = match &self.select {
            None => rules::on_by_default(rule),
            Some(select) => Self::names(rule, select),
        };
        let severity_off = self.override_for(rule) == Some(SeverityOverride::Off);
        selected && !Self::names(rule, &self.ignore) && !severity_off
    }

    fn override_for(&self, rule: &Rule) -> Option<SeverityOverride> {
        self.severity
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(rule.code) || *key == rule.name)
            .map(|(_, s)| *s)
    }

    /// The severity a finding of `rule` is reported with.
    fn severity(&self, rule: &Rule, found: Severity) -> Severity {
        let severity = match self.override_for(rule) {
            Some(SeverityOverride::Error) => Severity::Error,
            Some(SeverityOverride::Warning) => Severity::Warning,
            Some(SeverityOverride::Info) => Severity::Info,
            Some(SeverityOverride::Off) | None => found,
        };
        if self.warn_as_error && severity == Severity::Warning {
            Severity::Error
        } else {
            severity
        }
    }
}

/// Every rule: the per-configuration rules, then the fleet rules.
pub fn all_rules() -> impl Iterator<Item = &'static Rule> {
    rules::ALL.iter().chain(fleet::RULES).copied()
}

/// Finds a rule by code (case-insensitive) or name.
pub fn find_rule(key: &str) -> Option<&'static Rule> {
    all_rules().find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key)
}

/// Runs the enabled rules over a configuration (which may hold several
/// top-level files, see [`Config::load_many`]), with optional host facts.
pub fn lint(config: &Config, facts: &HostFacts, options: &LintOptions) -> Vec<Diagnostic> {
    let context = Context::new(config, facts);
    let rules: Vec<&'static Rule> = rules::ALL
        .iter()
        .copied()
        .filter(|rule| options.enabled(rule) && !(rule.needs_host_facts && facts.is_empty()))
        .collect();
    let workers = options
        .workers
        .map_or_else(|| schedule::default_workers(config), NonZeroUsize::get);
    let schedule::Outcome {
        findings: per_rule,
        suppressions,
    } = schedule::run(&context, &rules, workers);
    let mut findings = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    for (rule, found) in rules.iter().zip(per_rule) {
        let start = findings.len();
        findings.extend(found);
        for finding in &mut findings[start..] {
            finding.severity = options.severity(rule, finding.severity);
        }
    }
    let mut used = vec![false; suppressions.len()];
    findings.retain(|finding| {
        let Some(rule) = find_rule(finding.code) else {
            return true;
        };
        let span = &finding.primary.span;
        let hit = suppressions.iter().position(|s| {
            s.span.file == span.file
                && s.scope.start <= span.range.start
                && span.range.start < s.scope.end.max(s.scope.start + 1)
                && s.rules
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(rule.code) || *r == rule.name)
        });
        if let Some(index) = hit {
            used[index] = true;
        }
        hit.is_none()
    });
    let unused = &rules::jc090_unused_suppression::RULE;
    if options.enabled(unused) {
        for (suppression, used) in suppressions.iter().zip(used) {
            let unknown: Vec<&String> = suppression
                .rules
                .iter()
                .filter(|r| find_rule(r).is_none())
                .collect();
            // A suppression of a rule that did not run proves nothing.
            let ran = suppression
                .rules
                .iter()
                .filter_map(|r| find_rule(r))
                .any(|rule| options.enabled(rule) && !(rule.needs_host_facts && facts.is_empty()));
            let message = if !unknown.is_empty() {
                let names: Vec<&str> = unknown.iter().map(|s| s.as_str()).collect();
                format!("unknown rule {} in a suppression", names.join(", "))
            } else if !used && ran {
                format!(
                    "this suppression of {} suppresses nothing",
                    suppression.rules.join(", ")
                )
            } else {
                continue;
            };
            findings.push(
                Diagnostic::new(
                    unused.code,
                    options.severity(unused, unused.severity),
                    message,
                    suppression.span.clone(),
                )
                .with_help("remove it, or correct the rule code and the line it applies to"),
            );
        }
    }
    // One finding per rule and place (wildcard sections are applied to many
    // jails; a finding there is reported once).
    let keep: Vec<bool> = {
        let mut seen = hash::FastSet::default();
        findings
            .iter()
            .map(|f| seen.insert((f.code, &f.primary.span, f.message.as_str())))
            .collect()
    };
    let mut keep = keep.into_iter();
    findings.retain(|_| keep.next().unwrap_or(true));
    sort_findings(&mut findings);
    findings
}

/// Puts findings in report order: by file, position, then code.
pub fn sort_findings(findings: &mut [Diagnostic]) {
    findings.sort_by(|a, b| {
        (a.primary.span.file, a.primary.span.range.start, a.code).cmp(&(
            b.primary.span.file,
            b.primary.span.range.start,
            b.code,
        ))
    });
}
