//! Inputs the formatter must survive: trees with syntax errors (through
//! `format_tree`, which keeps their bytes), deep nesting, and every byte
//! value.

mod common;

use common::{corpus, files_under, repo};
use jailconf_fmt::{format, format_range, format_tree, FormatError, FormatOptions};
use jailconf_parser::settings::Indent;
use jailconf_parser::{parse, Target};

/// The multiset of bytes other than whitespace and `;` (empty statements
/// are dropped).
fn significant_bytes(text: &[u8]) -> Vec<u8> {
    let mut bytes: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b';'))
        .collect();
    bytes.sort_unstable();
    bytes
}

#[test]
fn trees_with_errors_keep_every_byte() {
    let mut files = files_under(&corpus());
    files.extend(files_under(&repo().join("fixtures/parse/err")));
    let mut with_errors = 0;
    for path in files {
        let text = std::fs::read(&path).unwrap();
        for target in Target::ALL {
            let parsed = parse(&text, target);
            if parsed.errors.is_empty() {
                continue;
            }
            with_errors += 1;
            assert!(matches!(
                format(&text, &FormatOptions::default(), target),
                Err(FormatError::Syntax(_))
            ));
            let out = format_tree(&parsed.tree, &FormatOptions::default());
            assert_eq!(
                significant_bytes(&out),
                significant_bytes(&text),
                "{} lost bytes",
                path.display()
            );
        }
    }
    assert!(with_errors > 100, "only {with_errors} files with errors");
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 20_000;
    let mut text = "a{".repeat(depth);
    text.push_str("x;");
    text.push_str(&"}".repeat(depth));
    let options = FormatOptions {
        indent: Indent::Spaces(0),
        ..FormatOptions::default()
    };
    let out = format(text.as_bytes(), &options, Target::V15).unwrap();
    assert_eq!(out.len(), depth * 6 + 3);
    assert_eq!(format(&out, &options, Target::V15).unwrap(), out);
    let edits = format_range(text.as_bytes(), 5000..5001, &options, Target::V15).unwrap();
    assert_eq!(edits.len(), 1);
}

#[test]
fn every_byte_inside_quotes_and_comments() {
    let mut text = b"# ".to_vec();
    text.extend((0u8..=255).filter(|&b| b != b'\n'));
    text.extend_from_slice(b"\nx = '");
    text.extend((0u8..=255).filter(|&b| b != b'\'' && b != b'\\'));
    text.extend_from_slice(b"';\n");
    let out = format(&text, &FormatOptions::default(), Target::V15).unwrap();
    assert_eq!(
        format(&out, &FormatOptions::default(), Target::V15).unwrap(),
        out
    );
    assert_eq!(significant_bytes(&out), significant_bytes(&text));
}
