//! Showing a plan: a terraform-like text for people, JSON for programs.

use std::fmt::Write;

use jailconf_parser::params::{self, ParamKind, ValueType};

use crate::plan::{Action, ActionKind, Change, Plan};

/// The line printed when the plan changes nothing.
pub const NO_CHANGES: &str = "No changes. The host matches the configuration.";

/// ANSI styles, or none.
#[derive(Clone, Copy, Debug)]
struct Style {
    color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";
const MAGENTA: &str = "35";
const CYAN: &str = "36";
const BOLD: &str = "1";
const DIM: &str = "2";

/// The marker, word and colour of an action kind.
fn marker(kind: ActionKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ActionKind::Create => ("+", "create", GREEN),
        ActionKind::Modify => ("~", "modify", YELLOW),
        ActionKind::Restart => ("-/+", "restart", MAGENTA),
        ActionKind::Remove => ("-", "remove", RED),
        ActionKind::Unmanaged => ("!", "unmanaged", YELLOW),
        ActionKind::Ephemeral => ("*", "ephemeral", CYAN),
        ActionKind::Unchanged => (".", "unchanged", DIM),
    }
}

/// The plan for people. With `color`, ANSI colours.
///
/// ```text
/// jailconf will perform these actions (target FreeBSD 15):
///
///   + create web            (not running)
///   ~ modify db             (securelevel changed)
///         securelevel: 2 -> 3
///
/// Plan: 1 to create, 1 to modify, 0 to restart, 0 to remove.
/// ```
pub fn human(plan: &Plan, color: bool) -> String {
    let style = Style { color };
    let shown: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| a.kind != ActionKind::Unchanged || !a.deferred.is_empty())
        .collect();
    let width = shown.iter().map(|a| head_len(a)).max().unwrap_or(0).max(24);
    let mut out = String::new();
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "jailconf will perform these actions (target FreeBSD {}):\n",
            plan.target
        );
    }
    for action in &shown {
        write_action(&mut out, action, width, style);
    }
    if !plan.stale.is_empty() {
        if !shown.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "Interfaces left by failed starts (destroyed first by `jailconf apply --cleanup-stale`):"
        );
        for stale in &plan.stale {
            let _ = writeln!(
                out,
                "  {} {:<w$} (left by {}: {})",
                style.paint(RED, "x"),
                stale.interface,
                stale.jail,
                stale.command.join(" "),
                w = width.saturating_sub(2),
            );
        }
    }
    if !shown.is_empty() || !plan.stale.is_empty() {
        out.push('\n');
    }
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "{} {} to create, {} to modify, {} to restart, {} to remove.",
            style.paint(BOLD, "Plan:"),
            plan.count(ActionKind::Create),
            plan.count(ActionKind::Modify),
            plan.count(ActionKind::Restart),
            plan.count(ActionKind::Remove),
        );
    } else {
        let _ = writeln!(out, "{NO_CHANGES}");
    }
    out
}

/// Length of `MARKER KIND NAME`.
fn head_len(action: &Action) -> usize {
    let (mark, word, _) = marker(action.kind);
    mark.len() + 1 + word.len() + 1 + action.jail.chars().count()
}

fn write_action(out: &mut String, action: &Action, width: usize, style: Style) {
    let (mark, word, code) = marker(action.kind);
    let (word, reason) = match action.kind {
        ActionKind::Unmanaged => (word, format!("{}; use --prune to remove", action.reason)),
        ActionKind::Ephemeral => (
            word,
            format!(
                "{}; start it with `jailconf run {}`",
                action.reason, action.jail
            ),
        ),
        ActionKind::Unchanged => ("deferred", action.reason.clone()),
        _ => (word, action.reason.clone()),
    };
    let head = format!("{mark} {word} {}", action.jail);
    let pad = width.saturating_sub(head.chars().count());
    let _ = writeln!(
        out,
        "  {} {}{} {}",
        style.paint(code, &format!("{mark} {word}")),
        style.paint(BOLD, &action.jail),
        " ".repeat(pad),
        style.paint(DIM, &format!("({reason})")),
    );
    for change in &action.changes {
        write_change(out, change, style);
    }
    if !action.deferred.is_empty() {
        if action.kind != ActionKind::Unchanged {
            let _ = writeln!(out, "        {}", style.paint(DIM, "on next restart:"));
        }
        for change in &action.deferred {
            write_change(out, change, style);
        }
    }
}

fn write_change(out: &mut String, change: &Change, style: Style) {
    let _ = writeln!(
        out,
        "        {}: {} -> {}",
        change.param,
        style.paint(RED, &show_value(&change.param, change.old.as_deref())),
        style.paint(GREEN, &show_value(&change.param, change.new.as_deref())),
    );
}

/// A value for display: `(unset)` when absent; kernel string parameters
/// quoted (pseudo-parameter values already are).
fn show_value(param: &str, value: Option<&str>) -> String {
    let Some(value) = value else {
        return "(unset)".to_string();
    };
    let name = param.split(" (").next().unwrap_or(param);
    let quote = match params::lookup(name) {
        Some(p) if p.kind == ParamKind::Pseudo => false,
        Some(p) => matches!(p.value_type, ValueType::String | ValueType::Struct),
        None => {
            value.is_empty()
                || !(value.parse::<i64>().is_ok() || value == "true" || value == "false")
        }
    };
    if quote {
        format!("{value:?}")
    } else {
        value.to_string()
    }
}

/// The plan as pretty JSON (schema `jailconf.plan/1`), with a final
/// newline.
pub fn json(plan: &Plan) -> String {
    // A plan is plain data with string keys: serialising cannot fail.
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_display() {
        assert_eq!(show_value("path", Some("/j")), "\"/j\"");
        assert_eq!(show_value("securelevel", Some("2")), "2");
        assert_eq!(
            show_value("ip4.addr (interface aliases)", Some("10.0.0.1")),
            "10.0.0.1"
        );
        assert_eq!(show_value("meta.x", Some("a b")), "\"a b\"");
        assert_eq!(show_value("allow.mount.ext2fs", Some("true")), "true");
        assert_eq!(show_value("path", None), "(unset)");
        assert_eq!(show_value("exec.consolelog", Some("\"/x\"")), "\"/x\"");
    }
}
