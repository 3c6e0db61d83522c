//! Inlay hints: the expanded value after each variable reference.

use std::collections::HashMap;
use std::ops::Range;

use jailconf_parser::source::FileId;

use super::eval::{self, Evaluator};
use crate::analysis::Analysis;
use crate::index::RecordKind;

/// For a reference in a global or wildcard section, at most this many
/// jails are evaluated; if they agree the value is shown.
const SAMPLE: usize = 50;

/// A hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// Where it goes (after the reference).
    pub offset: u32,
    /// The text shown.
    pub label: String,
    /// More detail.
    pub tooltip: Option<String>,
}

/// Hints for the references of `file` inside `range`.
pub fn hints(analysis: &Analysis, file: FileId, range: Range<u32>) -> Vec<Hint> {
    let index = &analysis.index();
    let Some(info) = index.files.get(file.0 as usize) else {
        return Vec::new();
    };
    let first = info
        .var_refs
        .partition_point(|&r| index.var_refs[r].span.range.end < range.start);
    let mut evaluators: HashMap<usize, Evaluator<'_>> = HashMap::new();
    let mut out = Vec::new();
    for &r in &info.var_refs[first..] {
        let reference = &index.var_refs[r];
        if reference.span.range.start > range.end {
            break;
        }
        let record = index.statements[reference.statement].record;
        let (label, tooltip) = match index.records[record].kind {
            RecordKind::Jail(_) => {
                let evaluator = evaluators
                    .entry(record)
                    .or_insert_with(|| Evaluator::new(analysis, record));
                match evaluator.value(&reference.name) {
                    Ok(values) => (eval::display(&values), None),
                    Err(_) => continue,
                }
            }
            RecordKind::Wildcard | RecordKind::Global => {
                let (values, total) = eval::values_in(analysis, record, &reference.name, SAMPLE);
                if values.is_empty() {
                    continue;
                }
                let shown: Vec<String> = values
                    .iter()
                    .filter_map(|(_, v)| v.as_ref().ok().map(|v| eval::display(v)))
                    .collect();
                let same = shown.len() == values.len() && shown.windows(2).all(|w| w[0] == w[1]);
                if same && total <= SAMPLE {
                    (shown[0].clone(), None)
                } else {
                    let examples: Vec<String> = values
                        .iter()
                        .take(3)
                        .map(|(jail, v)| match v {
                            Ok(v) => format!("{jail}: {}", eval::display(v)),
                            Err(e) => format!("{jail}: {e}"),
                        })
                        .collect();
                    (format!("per jail ({total})"), Some(examples.join("\n")))
                }
            }
        };
        out.push(Hint {
            offset: reference.span.range.end,
            label: format!("= {}", super::ellipsize(&label, 40)),
            tooltip,
        });
    }
    out
}
