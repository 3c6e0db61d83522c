//! The rules, one file each, and the registry.

use std::collections::BTreeMap;

use jailconf_parser::diag::{Diagnostic, Label};

use jailconf_parser::source::Span;
use jailconf_parser::syntax::{NodeId, NodeKind};

use crate::context::{Context, JailRef, StatementRef};
use crate::rule::{Report, Rule};

pub mod jc001_syntax_error;
pub mod jc002_include_error;
pub mod jc003_undefined_variable;
pub mod jc004_variable_loop;
pub mod jc005_array_inline;
pub mod jc006_variable_named_like_parameter;
pub mod jc007_redefined_identity;
pub mod jc008_unknown_parameter;
pub mod jc009_invalid_value;
pub mod jc010_duplicate_jail;
pub mod jc011_overridden_assignment;
pub mod jc012_conflicting_boolean;
pub mod jc013_variable_in_single_quotes;
pub mod jc014_unbraced_dotted_variable;
pub mod jc015_top_level_after_block;
pub mod jc016_append_to_scalar;
pub mod jc017_no_persist_or_command;
pub mod jc018_unknown_dependency;
pub mod jc019_dependency_cycle;
pub mod jc020_missing_parent;
pub mod jc021_include_matches_nothing;
pub mod jc022_newline_in_string;
pub mod jc030_missing_vnet_bridge;
pub mod jc031_vnet_with_ip_addr;
pub mod jc032_vnet_without_interface;
pub mod jc033_interface_name_too_long;
pub mod jc034_duplicate_ip;
pub mod jc035_duplicate_vnet_interface;
pub mod jc036_interface_not_destroyed;
pub mod jc037_address_outside_subnet;
pub mod jc038_raw_sockets_on_vnet;
pub mod jc039_ip4_inherit;
pub mod jc040_interface_without_vnet;
pub mod jc041_interface_moved_before_creation;
pub mod jc042_duplicate_mac_address;
pub mod jc043_host_address_in_jail;
pub mod jc050_devfs_ruleset_zero;
pub mod jc051_weak_enforce_statfs;
pub mod jc052_mount_allowed_without_effect;
pub mod jc053_allow_chflags;
pub mod jc054_raw_sockets;
pub mod jc055_deprecated_sysvipc;
pub mod jc056_host_hook_runs_jail_file;
pub mod jc057_shared_console_log;
pub mod jc058_writable_sensitive_nullfs;
pub mod jc070_duplicate_hostname;
pub mod jc071_jail_conf_d_file_name;
pub mod jc072_missing_path;
pub mod jc073_missing_dev_dir;
pub mod jc074_missing_fstab;
pub mod jc090_unused_suppression;

/// Rules that flag a deliberate, common choice rather than a mistake
/// (the seed article's jails allow raw sockets for ping). They run only
/// when selected by code, name or `ALL`.
pub static OPT_IN: &[&str] = &["JC038", "JC054"];

/// Whether a rule runs without an explicit selection.
pub fn on_by_default(rule: &Rule) -> bool {
    !OPT_IN.contains(&rule.code)
}

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &jc001_syntax_error::RULE,
    &jc002_include_error::RULE,
    &jc003_undefined_variable::RULE,
    &jc004_variable_loop::RULE,
    &jc005_array_inline::RULE,
    &jc006_variable_named_like_parameter::RULE,
    &jc007_redefined_identity::RULE,
    &jc008_unknown_parameter::RULE,
    &jc009_invalid_value::RULE,
    &jc010_duplicate_jail::RULE,
    &jc011_overridden_assignment::RULE,
    &jc012_conflicting_boolean::RULE,
    &jc013_variable_in_single_quotes::RULE,
    &jc014_unbraced_dotted_variable::RULE,
    &jc015_top_level_after_block::RULE,
    &jc016_append_to_scalar::RULE,
    &jc017_no_persist_or_command::RULE,
    &jc018_unknown_dependency::RULE,
    &jc019_dependency_cycle::RULE,
    &jc020_missing_parent::RULE,
    &jc021_include_matches_nothing::RULE,
    &jc022_newline_in_string::RULE,
    &jc030_missing_vnet_bridge::RULE,
    &jc031_vnet_with_ip_addr::RULE,
    &jc032_vnet_without_interface::RULE,
    &jc033_interface_name_too_long::RULE,
    &jc034_duplicate_ip::RULE,
    &jc035_duplicate_vnet_interface::RULE,
    &jc036_interface_not_destroyed::RULE,
    &jc037_address_outside_subnet::RULE,
    &jc038_raw_sockets_on_vnet::RULE,
    &jc039_ip4_inherit::RULE,
    &jc040_interface_without_vnet::RULE,
    &jc041_interface_moved_before_creation::RULE,
    &jc042_duplicate_mac_address::RULE,
    &jc043_host_address_in_jail::RULE,
    &jc050_devfs_ruleset_zero::RULE,
    &jc051_weak_enforce_statfs::RULE,
    &jc052_mount_allowed_without_effect::RULE,
    &jc053_allow_chflags::RULE,
    &jc054_raw_sockets::RULE,
    &jc055_deprecated_sysvipc::RULE,
    &jc056_host_hook_runs_jail_file::RULE,
    &jc057_shared_console_log::RULE,
    &jc058_writable_sensitive_nullfs::RULE,
    &jc070_duplicate_hostname::RULE,
    &jc071_jail_conf_d_file_name::RULE,
    &jc072_missing_path::RULE,
    &jc073_missing_dev_dir::RULE,
    &jc074_missing_fstab::RULE,
    &jc090_unused_suppression::RULE,
];

/// File, start, end and message of a finding.
type PlaceAndMessage = (u32, u32, u32, String);

/// Reports the parser's and model's own diagnostics with the given codes
/// under the current rule. A problem in a global or wildcard section is
/// found once per jail it applies to; it is reported once, naming the
/// jails.
pub(crate) fn forward_model_diagnostics(
    context: &Context<'_>,
    report: &mut Report<'_>,
    codes: &[&str],
) {
    // Key: place and message without the "jail `NAME`: " prefix the model
    // puts on per-jail problems.
    let mut grouped: BTreeMap<PlaceAndMessage, (Diagnostic, Vec<String>)> = BTreeMap::new();
    let relevant = context
        .config
        .diagnostics
        .iter()
        .filter(|d| codes.contains(&d.code));
    for diagnostic in relevant {
        let (jail, message) = split_jail_prefix(&diagnostic.message);
        let span = &diagnostic.primary.span;
        let key = (
            span.file.0,
            span.range.start,
            span.range.end,
            message.to_string(),
        );
        let entry = grouped
            .entry(key)
            .or_insert_with(|| (diagnostic.clone(), Vec::new()));
        if let Some(jail) = jail {
            entry.1.push(jail.to_string());
        }
    }
    let mut found: Vec<(Diagnostic, Vec<String>)> = grouped.into_values().collect();
    found.sort_by_key(|(d, _)| (d.primary.span.file, d.primary.span.range.start));
    for (mut diagnostic, jails) in found {
        if !jails.is_empty() {
            let (_, message) = split_jail_prefix(&diagnostic.message);
            let names: Vec<String> = jails.iter().map(|j| format!("`{j}`")).collect();
            let which = if names.len() == 1 { "jail" } else { "jails" };
            diagnostic.message = format!("{message} (in {which} {})", list(&names));
            // Keep the "in jail" label of the first jail only.
            let mut kept = false;
            diagnostic.secondary.retain(|l: &Label| {
                let is_jail = l.message.starts_with("in jail");
                let keep = !is_jail || !kept;
                kept |= is_jail;
                keep
            });
        }
        report.push(diagnostic);
    }
}

fn split_jail_prefix(message: &str) -> (Option<&str>, &str) {
    message
        .strip_prefix("jail `")
        .and_then(|rest| rest.split_once("`: "))
        .map_or((None, message), |(jail, rest)| (Some(jail), rest))
}

/// How many names [`list`] shows.
const SHOWN: usize = 5;

/// `a and b`, `a, b and c`; a long list is shortened by [`list`].
pub(crate) fn and_list(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        _ if names.len() > SHOWN => list(names),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// `a, b, c` or `a, b, c and 7 more`.
pub(crate) fn list(names: &[String]) -> String {
    if names.len() <= SHOWN {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..SHOWN].join(", "),
            names.len() - SHOWN
        )
    }
}

/// Whether `block` is the block that defines `jail` (not a wildcard or
/// another jail's block).
pub(crate) fn is_own_block(
    context: &Context<'_>,
    statement: &StatementRef<'_>,
    block: NodeId,
    jail: &JailRef<'_>,
) -> bool {
    let tree = context.tree(statement.file);
    let Some(name_span) = jail.span() else {
        return false;
    };
    let Some(name) = tree.child_node(block, NodeKind::JailName) else {
        return false;
    };
    let token = tree.tokens().at(tree.token_range(name).start);
    name_span.file == statement.file && name_span.range == (token.start..token.end)
}

/// The text to delete to remove the statement at `span`: its whole line
/// when nothing else is on it (a comment after it goes too, being about
/// it), else the statement with the blanks on one side.
pub(crate) fn statement_removal(context: &Context<'_>, span: &Span) -> Span {
    let text = context.config.sources.get(span.file).text();
    let (start, end) = (span.range.start as usize, span.range.end as usize);
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r');
    let line_start = text[..start]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let line_end = text[end..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| end + p);
    let alone_before = text[line_start..start].iter().all(blank);
    // A comment after it on the line is about it: it goes too.
    let rest = &text[end..line_end];
    let rest = &rest[rest.iter().position(|b| !blank(b)).unwrap_or(rest.len())..];
    let alone_after =
        rest.is_empty() || (alone_before && (rest.starts_with(b"#") || rest.starts_with(b"//")));
    let range = if alone_before && alone_after {
        line_start..(line_end + 1).min(text.len())
    } else if alone_after {
        let from = text[..start]
            .iter()
            .rposition(|b| !blank(b))
            .map_or(0, |p| p + 1);
        from..line_end
    } else {
        let to = text[end..line_end]
            .iter()
            .position(|b| !blank(b))
            .map_or(line_end, |p| end + p);
        start..to
    };
    Span::new(span.file, range.start as u32..range.end as u32)
}
