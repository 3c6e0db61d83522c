//! The `--json` form of the model (schema `jailconf.eval/1`, documented in
//! the README).

use jailconf_parser::diag::{Diagnostic, Label};
use jailconf_parser::source::{Sources, Span};
use jailconf_parser::Config;
use serde_json::{json, Value};

/// Schema identifier written in every document.
pub const SCHEMA: &str = "jailconf.eval/1";

/// Bytes as a JSON string; invalid UTF-8 is replaced (U+FFFD) and flagged
/// by the caller.
fn text(bytes: &[u8]) -> Value {
    Value::String(String::from_utf8_lossy(bytes).into_owned())
}

/// A span as `{file, start: {offset, line, column}, end: {…}}`.
pub fn span(sources: &Sources, span: &Span) -> Value {
    let lines = &sources.get(span.file).lines;
    let point = |offset: u32| {
        let lc = lines.line_col(offset);
        json!({"offset": offset, "line": lc.line, "column": lc.column})
    };
    json!({
        "file": span.file.0,
        "start": point(span.range.start),
        "end": point(span.range.end),
    })
}

fn optional_span(sources: &Sources, value: Option<&Span>) -> Value {
    value.map_or(Value::Null, |s| span(sources, s))
}

fn value_json(sources: &Sources, value: &jailconf_parser::Value) -> Value {
    let mut object = json!({
        "text": text(&value.text),
        "span": optional_span(sources, value.span.as_ref()),
    });
    if std::str::from_utf8(&value.text).is_err() {
        object["lossy"] = Value::Bool(true);
    }
    object
}

fn label(sources: &Sources, label: &Label) -> Value {
    json!({"span": span(sources, &label.span), "message": label.message})
}

/// One diagnostic.
pub fn diagnostic(sources: &Sources, diagnostic: &Diagnostic) -> Value {
    json!({
        "code": diagnostic.code,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "primary": label(sources, &diagnostic.primary),
        "secondary": diagnostic.secondary.iter().map(|l| label(sources, l)).collect::<Vec<_>>(),
        "help": diagnostic.help,
        "jail_message": diagnostic.jail_message,
    })
}

/// The whole model.
pub fn config_to_json(config: &Config) -> Value {
    let sources = &config.sources;
    let files: Vec<Value> = sources
        .iter()
        .map(|(id, file)| json!({"id": id.0, "name": file.name, "path": file.path.to_string_lossy()}))
        .collect();
    let jails: Vec<Value> = config
        .jails
        .iter()
        .map(|jail| {
            let params: Vec<Value> = jail
                .params
                .iter()
                .map(|param| {
                    json!({
                        "name": text(&param.name),
                        "values": param.values.iter().map(|v| value_json(sources, v)).collect::<Vec<_>>(),
                        "span": optional_span(sources, param.span.as_ref()),
                    })
                })
                .collect();
            json!({
                "name": text(&jail.name),
                "span": optional_span(sources, jail.name_span.as_ref()),
                "failed": jail.failed,
                "params": params,
            })
        })
        .collect();
    json!({
        "schema": SCHEMA,
        "target": config.target.to_string(),
        "valid": !config.fatal,
        "files": files,
        "jails": jails,
        "diagnostics": config.diagnostics.iter().map(|d| diagnostic(sources, d)).collect::<Vec<_>>(),
    })
}
