//! Compiles `data/jail-params.tsv` into `$OUT_DIR/params_table.rs`, a sorted
//! `static PARAMS: &[Param]` that `src/params.rs` includes.
//!
//! Plain std only. A malformed row fails the build with the file, line and
//! reason.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

const TSV: &str = "data/jail-params.tsv";
const HEADER: [&str; 7] = [
    "name",
    "kind",
    "type",
    "default",
    "runtime_modifiable",
    "since",
    "summary",
];
const JAILSYS_VALUES: [&str; 3] = ["disable", "new", "inherit"];

/// One validated row, with every field already in its generated form.
struct Row {
    line: usize,
    name: String,
    kind: &'static str,
    value_type: &'static str,
    type_detail: String,
    default: String,
    modifiable: &'static str,
    modifiable_note: String,
    since: Option<(u32, u32)>,
    summary: String,
}

fn main() -> ExitCode {
    println!("cargo:rerun-if-changed={TSV}");
    println!("cargo:rerun-if-changed=build.rs");
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?;
    let out_dir = env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?;
    let src = PathBuf::from(manifest_dir).join(TSV);
    let text =
        fs::read_to_string(&src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;

    let mut rows = parse_table(&text).map_err(|(line, msg)| format!("{TSV}:{line}: {msg}"))?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = rows.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(format!(
            "{TSV}:{}: duplicate parameter `{}` (first defined on line {})",
            pair[0].line.max(pair[1].line),
            pair[0].name,
            pair[0].line.min(pair[1].line),
        ));
    }

    let dest = PathBuf::from(out_dir).join("params_table.rs");
    fs::write(&dest, render(&rows)).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

/// Parses the whole file; errors carry the 1-based line number.
fn parse_table(text: &str) -> Result<Vec<Row>, (usize, String)> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
    let (_, header) = lines.next().ok_or((1, "file is empty".to_string()))?;
    if !header.split('\t').eq(HEADER) {
        return Err((
            1,
            format!("expected header `{}`, found `{header}`", HEADER.join("\\t")),
        ));
    }
    lines
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| parse_row(n, l).map_err(|msg| (n, msg)))
        .collect()
}

fn parse_row(line: usize, text: &str) -> Result<Row, String> {
    let fields: Vec<&str> = text.split('\t').collect();
    let [name, kind, ty, default, modifiable, since, summary] = fields[..] else {
        return Err(format!(
            "expected {} tab-separated columns, found {}",
            HEADER.len(),
            fields.len()
        ));
    };

    if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
        return Err(format!("invalid parameter name `{name}`"));
    }
    let kind = match kind {
        "kernel" => "Kernel",
        "pseudo" => "Pseudo",
        _ => {
            return Err(format!(
                "unknown kind `{kind}` for `{name}` (expected kernel or pseudo)"
            ))
        }
    };
    let (value_type, type_detail) = parse_type(ty).map_err(|msg| format!("`{name}`: {msg}"))?;
    let modifiable_variant =
        parse_modifiable(modifiable).map_err(|msg| format!("`{name}`: {msg}"))?;
    if (kind == "Pseudo") != (modifiable_variant == "NotApplicable") {
        return Err(format!(
            "`{name}`: runtime_modifiable `{modifiable}` does not fit kind `{}` (n/a is for, and only for, pseudo-parameters)",
            kind.to_lowercase()
        ));
    }
    let since = parse_since(since).map_err(|msg| format!("`{name}`: {msg}"))?;

    Ok(Row {
        line,
        name: name.to_string(),
        kind,
        value_type,
        type_detail: type_detail.to_string(),
        default: default.to_string(),
        modifiable: modifiable_variant,
        modifiable_note: modifiable.to_string(),
        since,
        summary: summary.to_string(),
    })
}

/// Splits `base (detail)` and maps the base to a `ValueType` variant.
fn parse_type(ty: &str) -> Result<(&'static str, &str), String> {
    let (base, detail) = match ty.split_once(" (") {
        Some((base, rest)) => match rest.strip_suffix(')') {
            Some(detail) if !detail.is_empty() => (base, detail),
            _ => {
                return Err(format!(
                    "malformed type `{ty}` (expected `TYPE` or `TYPE (detail)`)"
                ))
            }
        },
        None => (ty, ""),
    };
    let variant = match base {
        "int" => "Int",
        "ulong" => "Ulong",
        "string" => "String",
        "bool" => "Bool",
        "jailsys" => "Jailsys",
        "ip4list" => "Ip4List",
        "ip6list" => "Ip6List",
        "struct" => "Struct",
        "command list" => "CommandList",
        "list" => "List",
        _ => return Err(format!("unknown type `{base}` in `{ty}`")),
    };
    if variant == "Jailsys" {
        let values: Vec<&str> = detail.split('|').collect();
        let valid = !detail.is_empty()
            && values.iter().all(|v| JAILSYS_VALUES.contains(v))
            && values
                .iter()
                .enumerate()
                .all(|(i, v)| !values[..i].contains(v));
        if !valid {
            return Err(format!(
                "jailsys type `{ty}` must list distinct values from {} separated by `|`",
                JAILSYS_VALUES.join(", ")
            ));
        }
    }
    Ok((variant, detail))
}

/// Maps the runtime_modifiable column to a `Modifiable` variant.
fn parse_modifiable(text: &str) -> Result<&'static str, String> {
    let yes_with_note = text
        .strip_prefix("yes (")
        .and_then(|rest| rest.strip_suffix(')'))
        .is_some_and(|note| !note.is_empty());
    match text {
        "yes" => Ok("Yes"),
        _ if yes_with_note => Ok("Yes"),
        "no (create-only)" => Ok("CreateOnly"),
        "readonly" => Ok("ReadOnly"),
        "n/a" => Ok("NotApplicable"),
        _ => Err(format!(
            "unknown runtime_modifiable `{text}` (expected yes, yes (NOTE), no (create-only), readonly or n/a)"
        )),
    }
}

/// Parses `MAJOR.MINOR`, or an empty field for an unknown release.
fn parse_since(text: &str) -> Result<Option<(u32, u32)>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let number = |s: &str| {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse::<u32>().ok()
        } else {
            None
        }
    };
    text.split_once('.')
        .and_then(|(major, minor)| Some((number(major)?, number(minor)?)))
        .map(Some)
        .ok_or_else(|| format!("malformed since `{text}` (expected MAJOR.MINOR or empty)"))
}

fn render(rows: &[Row]) -> String {
    let mut out =
        String::from("// @generated by build.rs from data/jail-params.tsv; do not edit.\n\n");
    out.push_str("static PARAMS: &[Param] = &[\n");
    for row in rows {
        let since = match row.since {
            Some((major, minor)) => format!("Some(({major}, {minor}))"),
            None => "None".to_string(),
        };
        // `{:?}` on a `str` yields a valid Rust string literal. Writing to a
        // `String` cannot fail.
        let _ = writeln!(out, "    Param {{");
        let _ = writeln!(out, "        name: {:?},", row.name);
        let _ = writeln!(out, "        kind: ParamKind::{},", row.kind);
        let _ = writeln!(out, "        value_type: ValueType::{},", row.value_type);
        let _ = writeln!(out, "        type_detail: {:?},", row.type_detail);
        let _ = writeln!(out, "        default: {:?},", row.default);
        let _ = writeln!(out, "        modifiable: Modifiable::{},", row.modifiable);
        let _ = writeln!(out, "        modifiable_note: {:?},", row.modifiable_note);
        let _ = writeln!(out, "        since: {since},");
        let _ = writeln!(out, "        summary: {:?},", row.summary);
        let _ = writeln!(out, "    }},");
    }
    out.push_str("];\n");
    out
}
