//! Unit tests of the formatting rules and of range formatting.

use super::*;

fn fmt(input: &str) -> String {
    fmt_with(input, &FormatOptions::default())
}

fn fmt_with(input: &str, options: &FormatOptions) -> String {
    let out = format(input.as_bytes(), options, Target::V15).expect("formats");
    let out = String::from_utf8(out).expect("utf-8");
    let again = format(out.as_bytes(), options, Target::V15).expect("formats again");
    assert_eq!(String::from_utf8(again).unwrap(), out, "not idempotent");
    out
}

#[test]
fn one_statement_per_line_and_braces() {
    assert_eq!(fmt("a{b=c;d;}"), "a {\n    b = c;\n    d;\n}\n");
    assert_eq!(fmt("a { }"), "a {\n}\n");
    assert_eq!(
        fmt("a { b { c; } }"),
        "a {\n    b {\n        c;\n    }\n}\n"
    );
}

#[test]
fn spacing_around_operators_and_commas() {
    assert_eq!(fmt("x=1 ,2,3 ;"), "x = 1, 2, 3;\n");
    assert_eq!(fmt("x+=1;"), "x += 1;\n");
    assert_eq!(fmt("x\n=\n1\n;"), "x = 1;\n");
}

#[test]
fn name_value_form_and_include_keep_their_form() {
    assert_eq!(fmt("path   /jails/a ;"), "path /jails/a;\n");
    assert_eq!(fmt(".include   \"x.conf\";"), ".include \"x.conf\";\n");
    assert_eq!(fmt(".include=\"x.conf\";"), ".include = \"x.conf\";\n");
}

#[test]
fn values_are_printed_as_written() {
    let input = "a = \"x\"'y'$z\\ w, ${v}\"q$r\"-s;\n";
    assert_eq!(fmt(input), input);
}

#[test]
fn empty_statements_are_dropped() {
    assert_eq!(fmt(";;a { b;; };\n;"), "a {\n    b;\n}\n");
}

#[test]
fn alignment_of_runs() {
    let input =
        "a {\nx = 1;\nlonger += 2;\n# note\nmid = 3;\n\nalone = 4;\nflag;\ny = 5;\nyy = 6;\n}\n";
    assert_eq!(
        fmt(input),
        "a {\n    x      = 1;\n    longer += 2;\n    # note\n    mid    = 3;\n\n    alone = 4;\n    flag;\n    y  = 5;\n    yy = 6;\n}\n"
    );
    let no_align = FormatOptions {
        align: false,
        ..FormatOptions::default()
    };
    assert_eq!(
        fmt_with("x = 1;\nlonger = 2;\n", &no_align),
        "x = 1;\nlonger = 2;\n"
    );
    // Runs do not cross blocks, statements without `=` or commented names.
    assert_eq!(
        fmt("x = 1;\n.include \"a\";\nlong = 2;\nb /* c */ = 3;\nlonger = 4;\n"),
        "x = 1;\n.include \"a\";\nlong = 2;\nb /* c */ = 3;\nlonger = 4;\n"
    );
}

#[test]
fn indentation_options() {
    let tab = FormatOptions {
        indent: Indent::Tab,
        ..FormatOptions::default()
    };
    assert_eq!(
        fmt_with("a { b { c; } }", &tab),
        "a {\n\tb {\n\t\tc;\n\t}\n}\n"
    );
    let two = FormatOptions {
        indent: Indent::Spaces(2),
        ..FormatOptions::default()
    };
    assert_eq!(fmt_with("a { b; }", &two), "a {\n  b;\n}\n");
}

#[test]
fn comments_stay_in_place() {
    assert_eq!(
        fmt("# top\na { # brace\n  # own\n  b = 1; # trailing\n  /* lead */ c;\n  # dangling\n} # after\n"),
        "# top\na { # brace\n    # own\n    b = 1; # trailing\n    /* lead */ c;\n    # dangling\n} # after\n"
    );
    assert_eq!(
        fmt("a /* n */ = /* o */ 1 /* v */ , 2 /* s */ ;"),
        "a /* n */ = /* o */ 1 /* v */, 2 /* s */;\n"
    );
}

#[test]
fn line_comments_inside_statements_break_the_line() {
    assert_eq!(fmt("a = 1, # one\n 2;"), "a = 1, # one\n    2;\n");
    assert_eq!(fmt("a # name\n= 1;"), "a # name\n    = 1;\n");
    assert_eq!(fmt("b { a # x\n; }"), "b {\n    a # x\n        ;\n}\n");
    assert_eq!(fmt("a # x\n{ b; }"), "a # x\n    {\n    b;\n}\n");
}

#[test]
fn trailing_whitespace_and_final_newline() {
    assert_eq!(fmt("a;   # c   \t\nb;"), "a; # c\nb;\n");
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  \n"), "");
    assert_eq!(fmt("# only"), "# only\n");
}

#[test]
fn blank_lines() {
    assert_eq!(fmt("\n\na;\n\n\n\nb;\n\n\n"), "a;\n\nb;\n");
    assert_eq!(fmt("a {\n\n b;\n\n}\n"), "a {\n    b;\n}\n");
    // Always one between blocks, before the comments leading to the next.
    assert_eq!(
        fmt("a { }\n# about b\nb { }\nc { }"),
        "a {\n}\n\n# about b\nb {\n}\n\nc {\n}\n"
    );
    // An empty statement's line is not a blank line.
    assert_eq!(fmt("a;\n;\nb;\n"), "a;\nb;\n");
}

#[test]
fn statements_never_move_across_blocks() {
    assert_eq!(
        fmt("path=/d; a {path=/a;} path=/late;"),
        "path = /d;\na {\n    path = /a;\n}\npath = /late;\n"
    );
}

#[test]
fn line_endings() {
    assert_eq!(fmt("a {\r\nb;\r\n}\n"), "a {\r\n    b;\r\n}\r\n");
    assert_eq!(fmt("a {\nb;\r\n}\r\n"), "a {\n    b;\n}\n");
    let crlf = FormatOptions {
        line_ending: Some(LineEnding::CrLf),
        ..FormatOptions::default()
    };
    assert_eq!(fmt_with("a;\nb;", &crlf), "a;\r\nb;\r\n");
    // A CRLF `#` comment keeps no CR of its own.
    assert_eq!(fmt("# c\r\na;\r\n"), "# c\r\na;\r\n");
}

#[test]
fn long_lists_wrap() {
    let narrow = FormatOptions {
        max_width: 20,
        ..FormatOptions::default()
    };
    assert_eq!(
        fmt_with("a { ip4.addr = 192.0.2.1, 192.0.2.2; }", &narrow),
        "a {\n    ip4.addr =\n        192.0.2.1,\n        192.0.2.2;\n}\n"
    );
    // A single value never wraps; the name-value form wraps after the name.
    assert_eq!(
        fmt_with("exec.start = \"a very long command line\";", &narrow),
        "exec.start = \"a very long command line\";\n"
    );
    assert_eq!(
        fmt_with(".include \"a.conf\", \"b.conf\";", &narrow),
        ".include\n    \"a.conf\",\n    \"b.conf\";\n"
    );
    // Comments after commas stay at the end of their lines.
    assert_eq!(
        fmt_with("x = 1, /* one */ 2, # two\n 3;", &narrow),
        "x =\n    1, /* one */\n    2, # two\n    3;\n"
    );
}

#[test]
fn multi_line_values_are_verbatim() {
    let input = "a {\n    x    = \"one\n  two\";\n    long = 'a\\\n   b';\n}\n";
    assert_eq!(fmt(input), input);
}

#[test]
fn non_utf8_bytes_pass_through() {
    let input = b"# caf\xe9\nweb {\n    host.hostname = \"caf\xe9\";\n}\n";
    let out = format(input, &FormatOptions::default(), Target::V15).unwrap();
    assert_eq!(out, input);
}

#[test]
fn syntax_errors_refuse() {
    let Err(FormatError::Syntax(errors)) =
        format(b"a { b = ; }", &FormatOptions::default(), Target::V15)
    else {
        panic!("expected syntax errors");
    };
    assert!(!errors.is_empty());
    // Target 13 rejects nested blocks and CR.
    assert!(format(b"a { b { } }", &FormatOptions::default(), Target::V13).is_err());
    assert!(format(b"a;\r\n", &FormatOptions::default(), Target::V13).is_err());
    assert!(format(b"a;\r\n", &FormatOptions::default(), Target::V14).is_ok());
    let message = format(b"}", &FormatOptions::default(), Target::V15)
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("not formatted: 1 syntax error"),
        "{message}"
    );
}

#[test]
fn is_formatted_compares_without_building() {
    let options = FormatOptions::default();
    assert_eq!(is_formatted(b"a;\n", &options, Target::V15), Ok(true));
    assert_eq!(is_formatted(b"a;", &options, Target::V15), Ok(false));
    assert_eq!(is_formatted(b"a;\nb;\n ", &options, Target::V15), Ok(false));
    assert_eq!(is_formatted(b"", &options, Target::V15), Ok(true));
    assert!(is_formatted(b"a", &options, Target::V15).is_err());
}

#[test]
fn options_from_settings() {
    let settings = FormatSettings {
        indent: Some(Indent::Tab),
        align: None,
        max_width: Some(80),
    };
    let options = FormatOptions::from_settings(&settings);
    assert_eq!(options.indent, Indent::Tab);
    assert!(options.align);
    assert_eq!(options.max_width, 80);
    assert_eq!(options.line_ending, None);
    assert_eq!(
        FormatOptions::from_settings(&FormatSettings::default()),
        FormatOptions::default()
    );
}

fn range_fmt(input: &str, range: Range<usize>) -> String {
    let edits = format_range(
        input.as_bytes(),
        range,
        &FormatOptions::default(),
        Target::V15,
    )
    .expect("formats");
    assert!(edits.len() <= 1);
    String::from_utf8(apply_edits(input.as_bytes(), &edits)).unwrap()
}

/// The byte range of the first occurrence of `needle`.
fn find(input: &str, needle: &str) -> Range<usize> {
    let at = input.find(needle).expect("needle");
    at..at + needle.len()
}

#[test]
fn range_formats_only_the_touched_statements() {
    let input = "a   =  1;\nb=2;\nc  =  3;\n";
    assert_eq!(
        range_fmt(input, find(input, "b=")),
        "a   =  1;\nb = 2;\nc  =  3;\n"
    );
    // A point touches the statement it is in.
    let at = input.find("b=").unwrap() + 1;
    assert_eq!(range_fmt(input, at..at), "a   =  1;\nb = 2;\nc  =  3;\n");
    // Two statements: aligned as `format` aligns them.
    assert_eq!(
        range_fmt(input, find(input, "b=2;\nc")),
        "a   =  1;\nb = 2;\nc = 3;\n"
    );
}

#[test]
fn range_inside_a_block_stays_inside() {
    let input = "x  =  1;\nweb {\n  path=/a;\n      persist ;\n}\ny  =  2;\n";
    assert_eq!(
        range_fmt(input, find(input, "persist")),
        "x  =  1;\nweb {\n  path=/a;\n    persist;\n}\ny  =  2;\n"
    );
    // The header selects the whole block.
    assert_eq!(
        range_fmt(input, find(input, "web")),
        "x  =  1;\nweb {\n    path = /a;\n    persist;\n}\ny  =  2;\n"
    );
}

#[test]
fn range_sharing_a_line_with_braces_takes_the_block() {
    let input = "x  =  1;\nweb { path=/a; persist; }\ny  =  2;\n";
    assert_eq!(
        range_fmt(input, find(input, "persist")),
        "x  =  1;\nweb {\n    path = /a;\n    persist;\n}\ny  =  2;\n"
    );
    // Statements sharing a line are formatted together.
    let input = "a=1; b=2;\nc=3;\n";
    assert_eq!(
        range_fmt(input, find(input, "b=2")),
        "a = 1;\nb = 2;\nc=3;\n"
    );
}

#[test]
fn range_at_the_ends_of_the_file_and_outside_items() {
    let input = "\n\na=1;\n\n\n";
    assert_eq!(range_fmt(input, 0..input.len()), "a = 1;\n");
    let input = "a = 1;\n\n\nb = 2;\n";
    // Only blank lines: nothing to do.
    assert_eq!(range_fmt(input, 8..8), input);
    let formatted = "a {\n    b;\n}\n";
    let edits = format_range(
        formatted.as_bytes(),
        0..formatted.len(),
        &FormatOptions::default(),
        Target::V15,
    )
    .unwrap();
    assert!(edits.is_empty());
}

#[test]
fn range_edit_is_minimal_and_on_character_boundaries() {
    let input = "a {\n  x = \"é\";\n}\n";

    let edits = format_range(
        input.as_bytes(),
        find(input, "x"),
        &FormatOptions::default(),
        Target::V15,
    )
    .unwrap();
    assert_eq!(
        edits,
        [TextEdit {
            range: 6..6,
            new_text: b"  ".to_vec()
        }]
    );
}

#[test]
fn format_tree_keeps_items_with_errors_as_they_are() {
    let parsed = jailconf_parser::parse(b"a   =  ;\nb=1;\nc {  d = x,,  y ; }\n", Target::V15);
    assert!(!parsed.errors.is_empty());
    let out = format_tree(&parsed.tree, &FormatOptions::default());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "a   =  ;\nb = 1;\nc {\n    d = x,,  y ;\n}\n"
    );
}
