//! Machine-readable forms of lint findings: JSON (`jailconf.lint/1`),
//! SARIF 2.1.0 and GitHub Actions workflow commands.

use jailconf_lint::find_rule;
use jailconf_parser::diag::{Diagnostic, Severity};
use jailconf_parser::source::{LineCol, Span};
use jailconf_parser::Config;
use serde_json::{json, Value};

/// Schema identifier of the JSON form.
pub const SCHEMA: &str = "jailconf.lint/1";

fn rule_name(code: &str) -> &'static str {
    find_rule(code).map_or("", |r| r.name)
}

fn point(config: &Config, span: &Span, offset: u32) -> LineCol {
    config.sources.get(span.file).lines.line_col(offset)
}

fn file_name(config: &Config, span: &Span) -> String {
    config.sources.get(span.file).name.clone()
}

fn location(config: &Config, span: &Span) -> Value {
    let start = point(config, span, span.range.start);
    let end = point(config, span, span.range.end);
    json!({
        "file": file_name(config, span),
        "start": {"line": start.line, "column": start.column},
        "end": {"line": end.line, "column": end.column},
    })
}

/// The JSON document for `--format json`.
pub fn json(config: &Config, findings: &[Diagnostic]) -> Value {
    let items: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut item = location(config, &f.primary.span);
            item["code"] = json!(f.code);
            item["name"] = json!(rule_name(f.code));
            item["severity"] = json!(f.severity);
            item["message"] = json!(f.message);
            let mut labels = vec![];
            for (label, primary) in
                std::iter::once((&f.primary, true)).chain(f.secondary.iter().map(|l| (l, false)))
            {
                let mut value = location(config, &label.span);
                value["message"] = json!(label.message);
                value["primary"] = json!(primary);
                labels.push(value);
            }
            item["labels"] = json!(labels);
            item["help"] = json!(f.help);
            item["jail_message"] = json!(f.jail_message);
            item["fix"] = match &f.fix {
                None => Value::Null,
                Some(fix) => json!({
                    "title": fix.title,
                    "safe": fix.safe,
                    "edits": fix.edits.iter().map(|e| {
                        let mut edit = location(config, &e.span);
                        edit["new_text"] = json!(e.new_text);
                        edit
                    }).collect::<Vec<_>>(),
                }),
            };
            item
        })
        .collect();
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    json!({
        "schema": SCHEMA,
        "target": config.target.to_string(),
        "findings": items,
        "summary": {
            "errors": count(Severity::Error),
            "warnings": count(Severity::Warning),
            "infos": count(Severity::Info),
        },
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Column in Unicode scalar values (SARIF `unicodeCodePoints`).
fn char_column(config: &Config, span: &Span, offset: u32) -> u32 {
    let source = config.sources.get(span.file);
    let lc = source.lines.line_col(offset);
    let start = (offset - (lc.column - 1)) as usize;
    String::from_utf8_lossy(&source.text()[start..offset as usize])
        .chars()
        .count() as u32
        + 1
}

fn sarif_region(config: &Config, span: &Span) -> Value {
    let start = point(config, span, span.range.start);
    let end = point(config, span, span.range.end);
    json!({
        "startLine": start.line,
        "startColumn": char_column(config, span, span.range.start),
        "endLine": end.line,
        "endColumn": char_column(config, span, span.range.end),
    })
}

fn sarif_location(config: &Config, span: &Span, message: Option<&str>) -> Value {
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&file_name(config, span))},
            "region": sarif_region(config, span),
        }
    });
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        location["message"] = json!({"text": message});
    }
    location
}

/// A relative or absolute path as a URI reference (percent-encoding
/// what URIs do not allow).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if path.starts_with('/') {
        format!("file://{out}")
    } else {
        out
    }
}

/// The SARIF 2.1.0 log for `--format sarif`.
pub fn sarif(config: &Config, findings: &[Diagnostic]) -> Value {
    let rules: Vec<Value> = jailconf_lint::all_rules()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.summary},
                "help": {"text": rule.docs, "markdown": rule.docs},
                "defaultConfiguration": {"level": sarif_level(rule.severity)},
                "properties": {"category": rule.category},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let rule_index = jailconf_lint::all_rules().position(|r| r.code == f.code);
            let mut text = f.message.clone();
            if let Some(help) = &f.help {
                text.push_str(&format!(" (help: {help})"));
            }
            let mut result = json!({
                "ruleId": f.code,
                "level": sarif_level(f.severity),
                "message": {"text": text},
                "locations": [sarif_location(config, &f.primary.span, Some(&f.primary.message))],
            });
            if let Some(index) = rule_index {
                result["ruleIndex"] = json!(index);
            }
            if !f.secondary.is_empty() {
                result["relatedLocations"] = json!(f
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(id, l)| {
                        let mut location = sarif_location(config, &l.span, Some(&l.message));
                        location["id"] = json!(id);
                        location
                    })
                    .collect::<Vec<_>>());
            }
            if let Some(fix) = &f.fix {
                result["fixes"] = json!([{
                    "description": {"text": fix.title},
                    "artifactChanges": fix.edits.iter().map(|e| json!({
                        "artifactLocation": {"uri": uri(&file_name(config, &e.span))},
                        "replacements": [{
                            "deletedRegion": sarif_region(config, &e.span),
                            "insertedContent": {"text": e.new_text},
                        }],
                    })).collect::<Vec<_>>(),
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "jailconf",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Escapes a workflow-command property or message.
fn github_escape(text: &str, property: bool) -> String {
    let mut out = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

/// GitHub Actions annotations for `--format github`.
pub fn github(config: &Config, findings: &[Diagnostic]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let span = &f.primary.span;
        let start = point(config, span, span.range.start);
        let end = point(config, span, span.range.end);
        let title = format!("{} {}", f.code, rule_name(f.code));
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            github_escape(&file_name(config, span), true),
            start.line,
            start.column,
            end.line,
            end.column,
            github_escape(&title, true),
            github_escape(&message, false),
        ));
    }
    out
}
