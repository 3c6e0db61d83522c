//! Variable values for one jail, as jail(8) computes them: the jail's
//! parameter list is assembled from the records that apply to it (global,
//! matching wildcards, its own block, in record order, merged with the
//! `no`-insensitive rules), and a reference is looked up by exact name
//! among variables and parameters alike.
//!
//! Parameters take their values from the model (already expanded);
//! variables, which the model drops, are expanded here.

use jailconf_parser::model::equal_opts;

use crate::analysis::Analysis;
use crate::index::{Piece, RecordKind, ValueSite};

/// A variable's values, or why it has none.
pub type Value = Result<Vec<Vec<u8>>, EvalError>;

/// Why a variable has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalError {
    /// No variable or parameter with a value has this name.
    Undefined(String),
    /// The variable refers to itself.
    Loop(String),
    /// A variable with several values used inside a longer string.
    ArrayInline(String),
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::Undefined(name) => write!(f, "`{name}` is not defined"),
            EvalError::Loop(name) => write!(f, "`{name}` refers to itself"),
            EvalError::ArrayInline(name) => {
                write!(f, "`{name}` has several values and cannot be used inline")
            }
        }
    }
}

struct Entry<'a> {
    name: &'a [u8],
    is_var: bool,
    immutable: bool,
    values: Vec<&'a ValueSite>,
    /// Statements that give the current values (the last `=` and the
    /// `+=` after it).
    statements: Vec<usize>,
}

/// The parameter list of one jail, for expanding variables.
pub struct Evaluator<'a> {
    analysis: &'a Analysis,
    jail: Option<usize>,
    entries: Vec<Entry<'a>>,
}

impl<'a> Evaluator<'a> {
    /// The list of the jail whose record is `record`.
    pub fn new(analysis: &'a Analysis, record: usize) -> Self {
        let index = &analysis.index();
        let mut entries: Vec<Entry<'a>> = vec![Entry {
            name: b"name",
            is_var: false,
            immutable: true,
            values: Vec::new(),
            statements: Vec::new(),
        }];
        for r in index.applicable(record) {
            for &s in &index.records[r].statements {
                let statement = &index.statements[s];
                let found = entries
                    .iter()
                    .position(|e| equal_opts(e.name, &statement.name));
                match found {
                    Some(i) => {
                        let entry = &mut entries[i];
                        if entry.is_var != statement.is_var || entry.immutable {
                            continue;
                        }
                        entry.name = &statement.name;
                        if !statement.append || statement.values.is_empty() {
                            entry.values.clear();
                            entry.statements.clear();
                        }
                        entry.values.extend(statement.values.iter());
                        entry.statements.push(s);
                    }
                    None => entries.push(Entry {
                        name: &statement.name,
                        is_var: statement.is_var,
                        immutable: !statement.is_var && statement.name == b"jid",
                        values: statement.values.iter().collect(),
                        statements: vec![s],
                    }),
                }
            }
        }
        Evaluator {
            analysis,
            jail: index.jail_of(record),
            entries,
        }
    }

    /// Names in the list, with whether each is a variable.
    pub fn names(&self) -> impl Iterator<Item = (&'a [u8], bool)> + '_ {
        self.entries.iter().map(|e| (e.name, e.is_var))
    }

    /// The statements that give `name` (a variable or parameter) its
    /// value for this jail.
    pub fn sources(&self, name: &[u8]) -> &[usize] {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .map_or(&[], |e| &e.statements)
    }

    /// The value(s) of `${name}` for this jail.
    pub fn value(&self, name: &[u8]) -> Result<Vec<Vec<u8>>, EvalError> {
        let mut visiting = Vec::new();
        self.value_inner(name, &mut visiting)
    }

    fn value_inner(
        &self,
        name: &'a [u8],
        visiting: &mut Vec<&'a [u8]>,
    ) -> Result<Vec<Vec<u8>>, EvalError> {
        let lossy = || String::from_utf8_lossy(name).into_owned();
        let entry = self
            .entries
            .iter()
            .find(|e| e.name == name && (!e.values.is_empty() || e.name == b"name"));
        let Some(entry) = entry else {
            return Err(EvalError::Undefined(lossy()));
        };
        if !entry.is_var {
            // Parameters: the model's expanded values.
            let values = self
                .jail
                .and_then(|j| self.analysis.config.jails[j].param(&String::from_utf8_lossy(name)))
                .map(|p| p.values.iter().map(|v| v.text.to_vec()).collect::<Vec<_>>())
                .filter(|v| !v.is_empty());
            return values.ok_or_else(|| EvalError::Undefined(lossy()));
        }
        if visiting.contains(&name) {
            return Err(EvalError::Loop(lossy()));
        }
        visiting.push(name);
        let mut out = Vec::new();
        for value in &entry.values {
            let mut text = Vec::new();
            let single = value.pieces.len() == 1;
            for piece in &value.pieces {
                match piece {
                    Piece::Text(t) => text.extend_from_slice(t),
                    Piece::Var(r) => {
                        let reference = &self.analysis.index().var_refs[*r];
                        let mut values = self.value_inner(&reference.name, visiting)?;
                        if values.len() > 1 {
                            if !single {
                                visiting.pop();
                                return Err(EvalError::ArrayInline(
                                    String::from_utf8_lossy(&reference.name).into_owned(),
                                ));
                            }
                            let last = values.pop().unwrap_or_default();
                            out.extend(values);
                            text = last;
                        } else if let Some(v) = values.pop() {
                            text.extend_from_slice(&v);
                        }
                    }
                }
            }
            out.push(text);
        }
        visiting.pop();
        Ok(out)
    }
}

/// The value of `${name}` at a reference in record `record`: for a jail,
/// its value there; for a global or wildcard section, the value for each
/// jail it applies to (at most `limit` jails; the total count is
/// returned too).
pub fn values_in(
    analysis: &Analysis,
    record: usize,
    name: &[u8],
    limit: usize,
) -> (Vec<(String, Value)>, usize) {
    let index = &analysis.index();
    match index.records[record].kind {
        RecordKind::Jail(_) => {
            let value = Evaluator::new(analysis, record).value(name);
            (vec![(index.records[record].name_str(), value)], 1)
        }
        RecordKind::Wildcard | RecordKind::Global => {
            let jails = index.jails_of(&analysis.config, record);
            let total = jails.len();
            let values = jails
                .into_iter()
                .filter_map(|j| index.jail_records[j])
                .take(limit)
                .map(|r| {
                    (
                        index.records[r].name_str(),
                        Evaluator::new(analysis, r).value(name),
                    )
                })
                .collect();
            (values, total)
        }
    }
}

/// Values joined for display: `a, b`.
pub fn display(values: &[Vec<u8>]) -> String {
    values
        .iter()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}
