//! Hover: parameters from the parameter table, variables with their
//! expanded values, jails with their effective parameters.

use std::fmt::Write;
use std::ops::Range;

use jailconf_parser::params::{self, Modifiable, ParamKind, ValueType};
use jailconf_parser::quote::quote;
use jailconf_parser::source::FileId;

use super::eval::{self, Evaluator};
use super::{describe_location, site_at, Site};
use crate::analysis::Analysis;
use crate::index::RecordKind;

/// At most this many jails are listed for a global or wildcard section.
const JAIL_LIST_LIMIT: usize = 10;

/// Hover text for a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    /// The file.
    pub file: FileId,
    /// What the text is about.
    pub range: Range<u32>,
    /// Markdown.
    pub markdown: String,
}

/// The hover at `offset` of `file`.
pub fn hover(analysis: &Analysis, file: FileId, offset: u32) -> Option<Hover> {
    let index = &analysis.index();
    let (range, markdown) = match site_at(analysis, file, offset)? {
        Site::VarRef(r) => {
            let reference = &index.var_refs[r];
            let record = index.statements[reference.statement].record;
            (
                reference.span.range.clone(),
                variable(analysis, record, &reference.name),
            )
        }
        Site::StatementName(s) => {
            let statement = &index.statements[s];
            let text = if statement.is_var {
                variable(analysis, statement.record, &statement.name)
            } else {
                parameter(analysis, s)
            };
            (statement.name_span.range.clone(), text)
        }
        Site::Jail { name, range } => (range, jail(analysis, file, offset, &name)),
    };
    Some(Hover {
        file,
        range,
        markdown,
    })
}

/// The parameter table's entry, and the value for the jail under the
/// cursor.
fn parameter(analysis: &Analysis, statement: usize) -> String {
    let index = &analysis.index();
    let st = &index.statements[statement];
    let name = st.name_str();
    let mut out = String::new();
    let Some((param, negated)) = params::lookup_with_no_prefix(&name) else {
        let _ = writeln!(
            out,
            "**{name}**: not a parameter jail(8) or the kernel knows"
        );
        return out;
    };
    let kind = match param.kind {
        ParamKind::Kernel => "kernel parameter",
        ParamKind::Pseudo => "jail(8) parameter",
    };
    let _ = writeln!(out, "**{}** · {kind} · {}", param.name, type_name(param));
    out.push('\n');
    let _ = writeln!(out, "{}", param.summary);
    out.push('\n');
    let modifiable = match param.modifiable {
        Modifiable::NotApplicable => "not a kernel setting".to_string(),
        _ => param.modifiable_note.to_string(),
    };
    let _ = writeln!(out, "- Default: {}", param.default);
    let _ = writeln!(out, "- Changeable on a running jail: {modifiable}");
    if let Some((major, minor)) = param.since {
        let _ = writeln!(out, "- Since: FreeBSD {major}.{minor}");
    }
    if !param.available_in(analysis.target()) {
        let _ = writeln!(
            out,
            "- Not available on FreeBSD {} (the target)",
            analysis.target()
        );
    }
    if negated {
        let _ = writeln!(
            out,
            "\n`{name}` is the `no` form: it sets `{}` to false.",
            param.name
        );
    }
    if let Some(jail) = index.jail_of(st.record) {
        let jail = &analysis.config.jails[jail];
        if let Some(effective) = jail
            .params
            .iter()
            .find(|p| jailconf_parser::model::equal_opts(&p.name, &st.name))
        {
            let _ = write!(
                out,
                "\nEffective in `{}`: `{}`",
                jail.name_str(),
                statement_text(&effective.name, &effective.values)
            );
            if let Some(span) = &effective.span {
                if *span != st.span {
                    let _ = write!(out, " (from {})", describe_location(analysis, span));
                }
            }
            out.push('\n');
        }
    }
    out
}

/// `name = a, b;` (or `name;` without values) for display.
fn statement_text(name: &[u8], values: &[jailconf_parser::Value]) -> String {
    let name = String::from_utf8_lossy(name);
    if values.is_empty() {
        return format!("{name};");
    }
    let values: Vec<String> = values.iter().map(|v| quote(&v.text)).collect();
    format!("{name} = {};", values.join(", "))
}

/// A parameter's type in words.
pub fn type_name(param: &params::Param) -> String {
    let base = match param.value_type {
        ValueType::Int => "integer",
        ValueType::Ulong => "unsigned integer",
        ValueType::String => "string",
        ValueType::Bool => "boolean",
        ValueType::Jailsys => "jailsys",
        ValueType::Ip4List => "list of IPv4 addresses",
        ValueType::Ip6List => "list of IPv6 addresses",
        ValueType::Struct => "structure",
        ValueType::CommandList => "list of commands",
        ValueType::List => "list",
    };
    if param.type_detail.is_empty() {
        base.to_string()
    } else {
        format!("{base} ({})", param.type_detail)
    }
}

/// A variable's expanded value in the jail of `record`, or per jail in a
/// global or wildcard section.
fn variable(analysis: &Analysis, record: usize, name: &[u8]) -> String {
    let index = &analysis.index();
    let display_name = String::from_utf8_lossy(name);
    let mut out = String::new();
    let (values, total) = eval::values_in(analysis, record, name, JAIL_LIST_LIMIT);
    let line = |result: &Result<Vec<Vec<u8>>, eval::EvalError>| match result {
        Ok(values) => format!(
            "`{}`",
            values
                .iter()
                .map(|v| quote(v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Err(error) => format!("*{error}*"),
    };
    match index.records[record].kind {
        RecordKind::Jail(_) => {
            let _ = writeln!(
                out,
                "**${{{display_name}}}** in jail `{}`",
                index.records[record].name_str()
            );
            out.push('\n');
            if let Some((_, result)) = values.first() {
                let _ = writeln!(out, "{}", line(result));
            }
            let evaluator = Evaluator::new(analysis, record);
            let sources = evaluator.sources(name);
            if let Some(&last) = sources.last() {
                let _ = writeln!(
                    out,
                    "\nDefined at {}",
                    describe_location(analysis, &index.statements[last].span)
                );
            }
        }
        RecordKind::Wildcard | RecordKind::Global => {
            let section = if index.records[record].kind == RecordKind::Global {
                "the global section".to_string()
            } else {
                format!("`{}`", index.records[record].name_str())
            };
            let _ = writeln!(
                out,
                "**${{{display_name}}}** in {section}, per jail ({total} jail{}):",
                if total == 1 { "" } else { "s" }
            );
            out.push('\n');
            let all_same =
                total == values.len() && total > 1 && values.windows(2).all(|w| w[0].1 == w[1].1);
            if all_same {
                let _ = writeln!(out, "- every jail: {}", line(&values[0].1));
            } else {
                for (jail, result) in &values {
                    let _ = writeln!(out, "- `{jail}`: {}", line(result));
                }
            }
            if total > values.len() {
                let _ = writeln!(out, "- … and {} more", total - values.len());
            }
        }
    }
    out
}

/// A jail's effective parameters; for a wildcard block, the jails it
/// applies to.
fn jail(analysis: &Analysis, file: FileId, offset: u32, name: &[u8]) -> String {
    let index = &analysis.index();
    let config = &analysis.config;
    let display = String::from_utf8_lossy(name);
    let mut out = String::new();
    if jailconf_parser::model::is_wildcard_name(name) {
        let record = index
            .block_at(file, offset)
            .map(|b| b.record)
            .filter(|&r| index.records[r].name == name);
        let jails = record.map_or_else(Vec::new, |r| index.jails_of(config, r));
        let _ = writeln!(
            out,
            "**`{display}`** applies to {} jail{}",
            jails.len(),
            if jails.len() == 1 { "" } else { "s" }
        );
        if !jails.is_empty() {
            out.push('\n');
        }
        for &j in jails.iter().take(JAIL_LIST_LIMIT) {
            let _ = writeln!(out, "- `{}`", config.jails[j].name_str());
        }
        if jails.len() > JAIL_LIST_LIMIT {
            let _ = writeln!(out, "- … and {} more", jails.len() - JAIL_LIST_LIMIT);
        }
        return out;
    }
    let Some(jail) = config.jails.iter().find(|j| j.name == name) else {
        let _ = writeln!(out, "**jail `{display}`**: not defined");
        return out;
    };
    let _ = writeln!(out, "**jail `{display}`**: effective parameters");
    out.push_str("\n```jail.conf\n");
    let _ = writeln!(out, "{} {{", quote(&jail.name));
    for param in &jail.params {
        let _ = write!(out, "    {}", statement_text(&param.name, &param.values));
        if let Some(span) = &param.span {
            let _ = write!(out, "  # {}", describe_location(analysis, span));
        }
        out.push('\n');
    }
    out.push_str("}\n```\n");
    if jail.failed {
        out.push_str("\njail(8) would fail to configure this jail (see its diagnostics).\n");
    }
    out
}
