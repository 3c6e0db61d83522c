//! Go to definition, find references and rename, for variables, jails and
//! parameters.

use std::ops::Range;

use jailconf_parser::lexer::is_bare_byte;
use jailconf_parser::model::equal_opts;
use jailconf_parser::source::{FileId, Span};

use super::eval::Evaluator;
use super::{site_at, FileEdit, Site};
use crate::analysis::Analysis;
use crate::index::{name_token_inner, Piece, RecordKind};

/// Where the thing at `offset` is defined.
///
/// * A variable reference: the statements that give it its value for the
///   jail it is in (for a global or wildcard section: every definition of
///   that name).
/// * A parameter in a jail block: every statement that sets it for that
///   jail, inherited ones first ("where does this jail's `path` come
///   from?").
/// * A jail name (block name, dotted prefix, `depend` value): its blocks.
pub fn definition(analysis: &Analysis, file: FileId, offset: u32) -> Vec<Span> {
    let index = &analysis.index();
    match site_at(analysis, file, offset) {
        Some(Site::VarRef(r)) => {
            let reference = &index.var_refs[r];
            let record = index.statements[reference.statement].record;
            variable_definitions(analysis, record, &reference.name)
        }
        Some(Site::StatementName(s)) => {
            let statement = &index.statements[s];
            if statement.is_var || index.jail_of(statement.record).is_none() {
                return vec![statement.name_span.clone()];
            }
            index
                .applicable(statement.record)
                .into_iter()
                .flat_map(|r| index.records[r].statements.iter().copied())
                .map(|s| &index.statements[s])
                .filter(|other| !other.is_var && equal_opts(&other.name, &statement.name))
                .map(|other| other.name_span.clone())
                .collect()
        }
        Some(Site::Jail { name, .. }) => jail_blocks(analysis, &name),
        None => Vec::new(),
    }
}

fn variable_definitions(analysis: &Analysis, record: usize, name: &[u8]) -> Vec<Span> {
    let index = &analysis.index();
    let rec = &index.records[record];
    if let RecordKind::Jail(jail) = rec.kind {
        let evaluator = Evaluator::new(analysis, record);
        let sources = evaluator.sources(name);
        if !sources.is_empty() {
            return sources
                .iter()
                .map(|&s| index.statements[s].name_span.clone())
                .collect();
        }
        if name == b"name" {
            return jail
                .and_then(|j| analysis.config.jails[j].name_span.clone())
                .into_iter()
                .collect();
        }
        return Vec::new();
    }
    let unit = index.units[rec.unit].clone();
    let defs: Vec<Span> = index.records[unit.clone()]
        .iter()
        .flat_map(|r| r.statements.iter())
        .map(|&s| &index.statements[s])
        .filter(|s| s.is_var && s.name == name)
        .map(|s| s.name_span.clone())
        .collect();
    if !defs.is_empty() {
        return defs;
    }
    index.records[unit]
        .iter()
        .flat_map(|r| r.statements.iter())
        .map(|&s| &index.statements[s])
        .filter(|s| !s.is_var && s.name == name)
        .map(|s| s.name_span.clone())
        .collect()
}

fn jail_blocks(analysis: &Analysis, name: &[u8]) -> Vec<Span> {
    analysis
        .index()
        .records
        .iter()
        .filter(|r| matches!(r.kind, RecordKind::Jail(_)) && r.name == name)
        .filter_map(|r| r.name_span.clone())
        .collect()
}

/// Every use of the thing at `offset`.
pub fn references(
    analysis: &Analysis,
    file: FileId,
    offset: u32,
    include_declaration: bool,
) -> Vec<Span> {
    let index = &analysis.index();
    let mut out = match site_at(analysis, file, offset) {
        Some(Site::VarRef(r)) => {
            let reference = &index.var_refs[r];
            let unit = index.records[index.statements[reference.statement].record].unit;
            variable_sites(analysis, unit, &reference.name, include_declaration)
                .into_iter()
                .map(|(span, _)| span)
                .collect()
        }
        Some(Site::StatementName(s)) => {
            let statement = &index.statements[s];
            let unit = index.records[statement.record].unit;
            if statement.is_var {
                variable_sites(analysis, unit, &statement.name, include_declaration)
                    .into_iter()
                    .map(|(span, _)| span)
                    .collect()
            } else {
                index.records[index.units[unit].clone()]
                    .iter()
                    .flat_map(|r| r.statements.iter())
                    .map(|&s| &index.statements[s])
                    .filter(|other| !other.is_var && equal_opts(&other.name, &statement.name))
                    .map(|other| other.name_span.clone())
                    .collect()
            }
        }
        Some(Site::Jail { name, .. }) => jail_sites(analysis, &name)
            .into_iter()
            .filter(|site| include_declaration || !site.declaration)
            .map(|site| Span::new(site.file, site.range))
            .collect(),
        None => Vec::new(),
    };
    out.sort_by_key(|s| (s.file, s.range.start));
    out.dedup();
    out
}

/// Definitions and references of variable `name` in a unit, with the
/// token kind's inner name range.
fn variable_sites(
    analysis: &Analysis,
    unit: usize,
    name: &[u8],
    include_declaration: bool,
) -> Vec<(Span, Range<u32>)> {
    let index = &analysis.index();
    let mut out = Vec::new();
    for record in &index.records[index.units[unit].clone()] {
        for &s in &record.statements {
            let statement = &index.statements[s];
            if include_declaration && statement.is_var && statement.name == name {
                out.push((statement.name_span.clone(), statement.name_inner.clone()));
            }
            for value in &statement.values {
                for piece in &value.pieces {
                    if let Piece::Var(r) = piece {
                        let reference = &index.var_refs[*r];
                        if reference.name == name {
                            out.push((reference.span.clone(), reference.name_inner.clone()));
                        }
                    }
                }
            }
        }
    }
    out
}

/// A place a jail name is written.
struct JailSite {
    file: FileId,
    /// The bytes that spell the jail's name (a prefix of a longer name).
    range: Range<u32>,
    /// The name written there up to the jail's own part: for a nested
    /// block, the parent's name is written elsewhere.
    parent_len: usize,
    /// A block name (rather than a `depend` value).
    declaration: bool,
}

/// Block names and `depend` values that name jail `name` (or a jail
/// inside it).
fn jail_sites(analysis: &Analysis, name: &[u8]) -> Vec<JailSite> {
    let index = &analysis.index();
    let mut prefix = name.to_vec();
    prefix.push(b'.');
    let names_it = |full: &[u8]| full == name || full.starts_with(&prefix);
    let mut out = Vec::new();
    for record in &index.records {
        let Some(span) = &record.name_span else {
            continue;
        };
        if !names_it(&record.name) {
            continue;
        }
        let parent_len = record.parent.map_or(0, |p| index.records[p].name.len() + 1);
        if name.len() < parent_len {
            // Spelled by an enclosing block.
            continue;
        }
        let tree = &analysis.config.sources.get(span.file).parse.tree;
        let inner = name_token_inner(tree, span);
        let own = &record.name[parent_len..];
        let raw = &analysis.text(span.file)[inner.start as usize..inner.end as usize];
        if raw != own {
            continue;
        }
        let len = (name.len() - parent_len) as u32;
        out.push(JailSite {
            file: span.file,
            range: inner.start..inner.start + len,
            parent_len,
            declaration: record.name == name,
        });
    }
    for statement in index.statements.iter().filter(|s| s.name == b"depend") {
        for value in &statement.values {
            let [Piece::Text(text)] = value.pieces.as_slice() else {
                continue;
            };
            if !names_it(text) {
                continue;
            }
            let tree = &analysis.config.sources.get(value.span.file).parse.tree;
            let inner = name_token_inner(tree, &value.span);
            let raw = &analysis.text(value.span.file)[inner.start as usize..inner.end as usize];
            if raw != text.as_slice() {
                continue;
            }
            out.push(JailSite {
                file: value.span.file,
                range: inner.start..inner.start + name.len() as u32,
                parent_len: 0,
                declaration: false,
            });
        }
    }
    out
}

/// What a rename at `offset` would rename: the range to show and the
/// current name.
pub fn prepare_rename(
    analysis: &Analysis,
    file: FileId,
    offset: u32,
) -> Result<(Range<u32>, String), String> {
    let index = &analysis.index();
    match site_at(analysis, file, offset) {
        Some(Site::VarRef(r)) => {
            let reference = &index.var_refs[r];
            Ok((
                reference.name_inner.clone(),
                String::from_utf8_lossy(&reference.name).into_owned(),
            ))
        }
        Some(Site::StatementName(s)) if index.statements[s].is_var => {
            let statement = &index.statements[s];
            Ok((statement.name_inner.clone(), statement.name_str()))
        }
        Some(Site::StatementName(_)) => Err("parameters cannot be renamed".to_string()),
        Some(Site::Jail { name, range }) => {
            if jailconf_parser::model::is_wildcard_name(&name) {
                return Err("wildcard blocks cannot be renamed".to_string());
            }
            Ok((range, String::from_utf8_lossy(&name).into_owned()))
        }
        None => Err("nothing to rename here: put the cursor on a variable or a jail name".into()),
    }
}

/// The edits that rename the variable or jail at `offset` to `new_name`,
/// in every file of the configuration.
pub fn rename(
    analysis: &Analysis,
    file: FileId,
    offset: u32,
    new_name: &str,
) -> Result<Vec<FileEdit>, String> {
    let index = &analysis.index();
    let (old, unit) = match site_at(analysis, file, offset) {
        Some(Site::VarRef(r)) => {
            let reference = &index.var_refs[r];
            let unit = index.records[index.statements[reference.statement].record].unit;
            (reference.name.clone(), Some(unit))
        }
        Some(Site::StatementName(s)) if index.statements[s].is_var => {
            let statement = &index.statements[s];
            (
                statement.name.clone(),
                Some(index.records[statement.record].unit),
            )
        }
        Some(Site::Jail { name, .. }) => (name, None),
        _ => return Err("only variables and jails can be renamed".to_string()),
    };
    match unit {
        Some(unit) => rename_variable(analysis, unit, &old, new_name),
        None => rename_jail(analysis, &old, new_name),
    }
}

fn rename_variable(
    analysis: &Analysis,
    unit: usize,
    old: &[u8],
    new_name: &str,
) -> Result<Vec<FileEdit>, String> {
    let new = new_name
        .trim_start_matches('$')
        .trim_start_matches('{')
        .trim_end_matches('}');
    let valid = new
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && new
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if !valid {
        return Err(format!(
            "`{new_name}` is not a variable name: a letter or `_`, then letters, digits, `_` or `.`"
        ));
    }
    let needs_braces = new.contains('.');
    Ok(variable_sites(analysis, unit, old, true)
        .into_iter()
        .map(|(span, inner)| {
            let text = analysis.text(span.file);
            let braced = text.get(span.range.start as usize + 1) == Some(&b'{');
            if needs_braces && !braced {
                FileEdit {
                    file: span.file,
                    range: span.range,
                    new_text: format!("${{{new}}}"),
                }
            } else {
                FileEdit {
                    file: span.file,
                    range: inner,
                    new_text: new.to_string(),
                }
            }
        })
        .collect())
}

fn rename_jail(analysis: &Analysis, old: &[u8], new_name: &str) -> Result<Vec<FileEdit>, String> {
    if new_name.is_empty() || !new_name.bytes().all(is_bare_byte) || new_name.contains("..") {
        return Err(format!(
            "`{new_name}` is not a plain jail name (letters, digits, `_`, `-`, `.` and the like)"
        ));
    }
    let new = new_name.as_bytes();
    let mut edits = Vec::new();
    for site in jail_sites(analysis, old) {
        if site.parent_len > 0 && !new.starts_with(&old[..site.parent_len]) {
            return Err(format!(
                "`{}` is nested in block `{}`: the new name must start with `{}`",
                String::from_utf8_lossy(old),
                String::from_utf8_lossy(&old[..site.parent_len - 1]),
                String::from_utf8_lossy(&old[..site.parent_len])
            ));
        }
        edits.push(FileEdit {
            file: site.file,
            range: site.range,
            new_text: new_name[site.parent_len..].to_string(),
        });
    }
    edits.sort_by_key(|e| (e.file, e.range.start));
    edits.dedup();
    Ok(edits)
}
