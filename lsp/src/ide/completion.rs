//! Completion: parameter names where a statement starts, values of
//! booleans and jailsys parameters, variables after `$`, jail names in
//! `depend`, paths in `.include`. Works on the analysis' tokens, so a
//! half-typed statement (a syntax error) completes too.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use jailconf_parser::lexer::{is_bare_byte, piece_value, TokenKind};
use jailconf_parser::params::{self, Modifiable, ValueType};
use jailconf_parser::quote::quote;
use jailconf_parser::source::FileId;

use super::eval::{self, Evaluator};
use crate::analysis::Analysis;
use crate::index::RecordKind;

/// At most this many items are returned; past it the list is incomplete
/// and the client asks again as the user types.
const MAX_ITEMS: usize = 500;

/// What an item completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A parameter name.
    Parameter,
    /// A parameter value.
    Value,
    /// A variable reference.
    Variable,
    /// A jail name.
    Jail,
    /// A file path.
    File,
    /// A folder path.
    Folder,
    /// `.include`.
    Keyword,
}

/// One completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// What the list shows.
    pub label: String,
    /// What it is.
    pub kind: Kind,
    /// A short description.
    pub detail: Option<String>,
    /// Markdown documentation.
    pub documentation: Option<String>,
    /// The text inserted.
    pub insert: String,
    /// The bytes it replaces.
    pub replace: Range<u32>,
    /// What the client filters on, when not the label.
    pub filter: Option<String>,
}

/// Completions, and whether the list was cut.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completions {
    /// The items, best first.
    pub items: Vec<Item>,
    /// Whether more items match than were returned.
    pub incomplete: bool,
}

/// The completions at `offset` of `file`.
pub fn complete(analysis: &Analysis, file: FileId, offset: u32) -> Completions {
    let text = analysis.text(file);
    let offset = (offset as usize).min(text.len());
    let tree = &analysis.config.sources.get(file).parse.tree;
    let tokens = tree.tokens();
    // The token the cursor is in (or at the end of).
    let at = tokens.partition_point(|t| (t.end as usize) < offset);
    let current = tokens
        .get(at)
        .filter(|t| (t.start as usize) < offset && offset <= t.end as usize);
    if let Some(token) = current {
        let line_comment = matches!(token.kind, TokenKind::HashComment | TokenKind::SlashComment);
        let inside_block_comment =
            token.kind == TokenKind::BlockComment && offset < token.end as usize;
        if line_comment || inside_block_comment || token.kind == TokenKind::UnterminatedComment {
            return Completions::default();
        }
    }
    if let Some(dollar) = variable_start(text, offset) {
        let mut end = offset;
        if text.get(dollar + 1) == Some(&b'{') && text.get(offset) == Some(&b'}') {
            end += 1;
        }
        return variables(analysis, file, offset as u32, dollar as u32..end as u32);
    }
    // A quoted string the cursor is in: complete inside the quotes.
    let string_start = current
        .filter(|t| {
            matches!(
                t.kind,
                TokenKind::DoubleQuoted
                    | TokenKind::SingleQuoted
                    | TokenKind::UnterminatedString
                    | TokenKind::DqHead
            ) && offset < t.end as usize
                || t.kind == TokenKind::UnterminatedString
        })
        .map(|t| t.start as usize);
    let word_start = match string_start {
        Some(start) => start + 1,
        None => {
            let mut s = offset;
            while s > 0 && (is_bare_byte(text[s - 1]) || text[s - 1] == b'/' || text[s - 1] == b'*')
            {
                s -= 1;
            }
            s
        }
    };
    let anchor = string_start.unwrap_or(word_start);
    // The significant tokens of the statement before the word.
    let mut statement = Vec::new();
    let mut i = tokens.partition_point(|t| (t.start as usize) < anchor);
    while i > 0 {
        i -= 1;
        let token = tokens.at(i);
        match token.kind {
            TokenKind::Semi | TokenKind::LBrace | TokenKind::RBrace => break,
            kind if !kind.is_significant() => {}
            _ => statement.push(i),
        }
    }
    statement.reverse();
    let typed = &text[word_start..offset];
    let replace = word_start as u32..offset as u32;
    let record = analysis.index().record_at(file, offset as u32);
    let Some(&first) = statement.first() else {
        // A half-typed statement can hide a block from the parser: count
        // the braces before the cursor too.
        let before = tokens.partition_point(|t| (t.start as usize) < anchor);
        let depth = tokens.range(0..before).fold(0i64, |depth, t| match t.kind {
            TokenKind::LBrace => depth + 1,
            TokenKind::RBrace => (depth - 1).max(0),
            _ => depth,
        });
        return names(analysis, record, depth > 0, replace);
    };
    let token = tokens.at(first);
    if !token.kind.is_piece() {
        return Completions::default();
    }
    let name = piece_value(token.kind, tree.token_text(first as u32));
    if name == b".include" {
        return paths(analysis, file, typed, offset as u32);
    }
    values(analysis, record, &name, typed, replace)
}

/// Where a variable reference being typed starts: `$`, `$na`, `${na`.
fn variable_start(text: &[u8], offset: usize) -> Option<usize> {
    let mut s = offset;
    while s > 0
        && (text[s - 1].is_ascii_alphanumeric() || text[s - 1] == b'_' || text[s - 1] == b'.')
    {
        s -= 1;
    }
    if s > 0 && text[s - 1] == b'{' {
        s -= 1;
    }
    if s > 0 && text[s - 1] == b'$' {
        Some(s - 1)
    } else {
        None
    }
}

fn finish(mut items: Vec<Item>, typed: &[u8]) -> Completions {
    if items.len() <= MAX_ITEMS {
        return Completions {
            items,
            incomplete: false,
        };
    }
    let typed = String::from_utf8_lossy(typed).to_ascii_lowercase();
    items.retain(|item| {
        item.filter
            .as_deref()
            .unwrap_or(&item.label)
            .to_ascii_lowercase()
            .starts_with(&typed)
    });
    let incomplete = items.len() > MAX_ITEMS;
    items.truncate(MAX_ITEMS);
    Completions { items, incomplete }
}

/// Parameter names for a new statement.
fn names(
    analysis: &Analysis,
    record: Option<usize>,
    in_block: bool,
    replace: Range<u32>,
) -> Completions {
    let target = analysis.target();
    let kind = record.map(|r| analysis.index().records[r].kind);
    let top_level = !in_block && matches!(kind, None | Some(RecordKind::Global));
    let mut items = Vec::new();
    if top_level && target.new_grammar() {
        items.push(Item {
            label: ".include".to_string(),
            kind: Kind::Keyword,
            detail: Some("read other files here".to_string()),
            documentation: Some(
                "Reads the named files (glob patterns allowed) as if their text stood here."
                    .to_string(),
            ),
            insert: ".include".to_string(),
            replace: replace.clone(),
            filter: None,
        });
    }
    for param in params::all() {
        let settable = param.modifiable != Modifiable::ReadOnly
            && param.name != "name"
            && !(param.name == "jid" && top_level)
            && param.available_in(target);
        if !settable {
            continue;
        }
        items.push(Item {
            label: param.name.to_string(),
            kind: Kind::Parameter,
            detail: Some(super::hover::type_name(param)),
            documentation: Some(param.summary.to_string()),
            insert: param.name.to_string(),
            replace: replace.clone(),
            filter: None,
        });
    }
    Completions {
        items,
        incomplete: false,
    }
}

/// Values of parameter `name`.
fn values(
    analysis: &Analysis,
    record: Option<usize>,
    name: &[u8],
    typed: &[u8],
    replace: Range<u32>,
) -> Completions {
    let name = String::from_utf8_lossy(name);
    let mut items = Vec::new();
    let value = |label: &str, detail: &str| Item {
        label: label.to_string(),
        kind: Kind::Value,
        detail: Some(detail.to_string()),
        documentation: None,
        insert: label.to_string(),
        replace: replace.clone(),
        filter: None,
    };
    if name == "depend" {
        let own = record.and_then(|r| analysis.index().jail_of(r));
        for (j, jail) in analysis.config.jails.iter().enumerate() {
            if Some(j) == own {
                continue;
            }
            let label = jail.name_str().into_owned();
            items.push(Item {
                label: label.clone(),
                kind: Kind::Jail,
                detail: Some("jail".to_string()),
                documentation: None,
                insert: quote(&jail.name),
                replace: replace.clone(),
                filter: Some(label),
            });
        }
        return finish(items, typed);
    }
    let Some((param, _)) = params::lookup_with_no_prefix(&name) else {
        return Completions::default();
    };
    match param.value_type {
        ValueType::Bool => {
            items.push(value("true", "boolean"));
            items.push(value("false", "boolean"));
        }
        ValueType::Jailsys => {
            for v in param.jailsys_values() {
                items.push(value(v, "jailsys"));
            }
        }
        _ => {}
    }
    Completions {
        items,
        incomplete: false,
    }
}

/// Variables (and parameters with values) a reference can name here.
fn variables(analysis: &Analysis, file: FileId, offset: u32, replace: Range<u32>) -> Completions {
    let index = &analysis.index();
    let record = index.record_at(file, offset);
    // name -> (is a variable, value for display)
    let mut names: BTreeMap<Vec<u8>, (bool, Option<String>)> = BTreeMap::new();
    names.insert(b"name".to_vec(), (false, None));
    match record.map(|r| (r, index.records[r].kind)) {
        Some((r, RecordKind::Jail(_))) => {
            let evaluator = Evaluator::new(analysis, r);
            for (name, is_var) in evaluator.names() {
                if !is_var
                    && analysis.config.jails[index.jail_of(r).unwrap_or(0)]
                        .param(&String::from_utf8_lossy(name))
                        .is_none_or(|p| p.values.is_empty())
                {
                    continue;
                }
                let value = evaluator
                    .value(name)
                    .ok()
                    .map(|v| eval::display(&v))
                    .filter(|v| !v.is_empty());
                names.insert(name.to_vec(), (is_var, value));
            }
        }
        Some((r, _)) => {
            for record in &index.records[index.units[index.records[r].unit].clone()] {
                for &s in &record.statements {
                    let statement = &index.statements[s];
                    if statement.is_var {
                        names.entry(statement.name.clone()).or_insert((true, None));
                    }
                }
            }
        }
        None => {}
    }
    let items = names
        .into_iter()
        .map(|(name, (is_var, value))| {
            let name = String::from_utf8_lossy(&name).into_owned();
            Item {
                label: format!("${{{name}}}"),
                kind: Kind::Variable,
                detail: Some(match (&value, is_var) {
                    (Some(v), _) => super::ellipsize(v, 60),
                    (None, true) => "variable".to_string(),
                    (None, false) => "parameter".to_string(),
                }),
                documentation: None,
                insert: format!("${{{name}}}"),
                replace: replace.clone(),
                filter: Some(format!("${{{name}}}")),
            }
        })
        .collect();
    Completions {
        items,
        incomplete: false,
    }
}

/// Paths for an `.include` value, relative to the including file.
fn paths(analysis: &Analysis, file: FileId, typed: &[u8], offset: u32) -> Completions {
    let typed = String::from_utf8_lossy(typed);
    let (dir_part, partial) = match typed.rfind('/') {
        Some(slash) => (&typed[..=slash], &typed[slash + 1..]),
        None => ("", &typed[..]),
    };
    let base: PathBuf = if dir_part.starts_with('/') {
        PathBuf::from(dir_part)
    } else {
        analysis
            .path(file)
            .parent()
            .unwrap_or(Path::new("."))
            .join(dir_part)
    };
    let replace = offset - partial.len() as u32..offset;
    let Ok(entries) = std::fs::read_dir(&base) else {
        return Completions::default();
    };
    let mut found: Vec<(String, bool)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_dir = e.path().is_dir();
            (!name.starts_with('.') || partial.starts_with('.')).then_some((name, is_dir))
        })
        .collect();
    found.sort();
    let mut items: Vec<Item> = Vec::new();
    for (name, is_dir) in found {
        let (label, kind) = if is_dir {
            (format!("{name}/"), Kind::Folder)
        } else {
            (name, Kind::File)
        };
        items.push(Item {
            label: label.clone(),
            kind,
            detail: None,
            documentation: None,
            insert: label,
            replace: replace.clone(),
            filter: None,
        });
        if kind == Kind::Folder {
            items.push(Item {
                label: format!("{}*.conf", items[items.len() - 1].label),
                kind: Kind::File,
                detail: Some("every .conf file of the folder".to_string()),
                documentation: None,
                insert: format!("{}*.conf", items[items.len() - 1].label),
                replace: replace.clone(),
                filter: None,
            });
        }
    }
    finish(items, partial.as_bytes())
}
