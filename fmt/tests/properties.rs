//! Property tests over generated configurations: a grammar-aware
//! generator writes statements, blocks, comments, empty statements and
//! every kind of string piece with random whitespace and comments between
//! the tokens; the formatter must be idempotent, meaning-preserving and
//! comment-preserving, its output must parse, and range formatting must
//! agree with whole-file formatting.

mod common;

use common::{check_in_memory, meaning};
use jailconf_fmt::{apply_edits, format, format_range, FormatOptions, LineEnding};
use jailconf_parser::settings::Indent;
use jailconf_parser::{parse, Config, DiskLoader, MainFile, Target};
use proptest::prelude::*;
use proptest::sample::select;

#[derive(Clone, Debug)]
enum Form {
    Valueless,
    Set,
    Append,
    NameValue,
}

#[derive(Clone, Debug)]
enum Item {
    Statement {
        name: String,
        form: Form,
        values: Vec<String>,
    },
    Block {
        name: String,
        items: Vec<Item>,
    },
    Empty,
    Comment(String),
}

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_.:@-]{1,8}",
        2 => "[a-z0-9]{1,6}".prop_map(|s| format!("/{s}")),
        2 => "[a-z $#;{}/*=,\n]{0,8}".prop_map(|s| format!("\"{s}\"")),
        1 => "[a-z $#;{}\n]{0,6}".prop_map(|s| format!("'{s}'")),
        1 => select(vec!["$x", "${x}", "$y", "${a.b}", "$name", "\"${x}\"", "\"a${y}b\""])
            .prop_map(str::to_string),
        1 => select(vec!["\\ ", "\\n", "\\x41", "\\101", "\\$", "\\;", "\\\n"])
            .prop_map(str::to_string),
        1 => select(vec!["*", "+", "$"]).prop_map(str::to_string),
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 1..4).prop_map(|pieces| pieces.concat())
}

fn name() -> impl Strategy<Value = String> {
    select(vec![
        "path",
        "host.hostname",
        "exec.start",
        "exec.prestart",
        "persist",
        "nopersist",
        "mount.devfs",
        "ip4.addr",
        "allow.nomount",
        "allow.mount",
        "mount",
        "depend",
        "jid",
        "name",
        "\"exec.stop\"",
        "'vnet'",
        "$x",
        "${x}",
        "$y",
        "${a.b}",
        ".include",
    ])
    .prop_map(str::to_string)
}

fn block_name() -> impl Strategy<Value = String> {
    select(vec![
        "a", "b", "web", "*", "\"a.*\"", "\"*.b\"", "7", "x.y", "0",
    ])
    .prop_map(str::to_string)
}

fn statement() -> impl Strategy<Value = Item> {
    (
        name(),
        select(vec![
            Form::Valueless,
            Form::Set,
            Form::Append,
            Form::NameValue,
        ]),
        prop::collection::vec(word(), 1..5),
    )
        .prop_map(|(name, form, values)| {
            // `.include` patterns that match nothing on any host.
            let values = if name == ".include" && matches!(form, Form::NameValue) {
                vec!["\"/nonexistent.jailconf/*.conf\"".to_string()]
            } else {
                values
            };
            Item::Statement { name, form, values }
        })
}

fn leaf() -> impl Strategy<Value = Item> {
    prop_oneof![
        6 => statement(),
        1 => Just(Item::Empty),
        1 => select(vec!["# note", "// note", "/* note */", "/* two\n   lines */", "#"])
            .prop_map(|c| Item::Comment(c.to_string())),
    ]
}

fn items(nested: bool) -> impl Strategy<Value = Vec<Item>> {
    let depth = if nested { 3 } else { 1 };
    let item = leaf().prop_recursive(depth, 48, 6, |inner| {
        prop_oneof![
            2 => leaf(),
            1 => (block_name(), prop::collection::vec(inner, 0..6))
                .prop_map(|(name, items)| Item::Block { name, items }),
        ]
    });
    // Without nesting (FreeBSD 13), blocks only at the top level.
    prop::collection::vec(item, 0..10).prop_map(move |items| {
        if nested {
            items
        } else {
            items.into_iter().map(flatten).collect()
        }
    })
}

fn flatten(item: Item) -> Item {
    match item {
        Item::Block { name, items } => Item::Block {
            name,
            items: items
                .into_iter()
                .filter(|i| !matches!(i, Item::Block { .. }))
                .collect(),
        },
        other => other,
    }
}

/// Whitespace and comments between tokens.
fn gap(cr: bool) -> impl Strategy<Value = String> {
    let mut gaps = vec![
        "",
        "",
        "",
        " ",
        " ",
        "  ",
        "\t",
        "\n",
        "\n",
        "\n\n",
        "\n\n\n",
        " \n  \t",
        " # c\n",
        " // c\n",
        " /* c */ ",
        " /* m\n l */ ",
        "\n# own\n",
        " /**/",
    ];
    if cr {
        gaps.extend(["\r\n", " \r"]);
    }
    select(gaps).prop_map(str::to_string)
}

struct Writer<'a> {
    out: String,
    gaps: &'a [String],
    next: usize,
}

impl Writer<'_> {
    /// A gap; `required` when the tokens around it would otherwise join.
    fn gap(&mut self, required: bool) {
        let gap = &self.gaps[self.next % self.gaps.len()];
        self.next += 1;
        if gap.is_empty() && required {
            self.out.push(' ');
        } else {
            self.out.push_str(gap);
        }
    }

    fn items(&mut self, items: &[Item]) {
        for item in items {
            self.gap(true);
            match item {
                Item::Empty => self.out.push(';'),
                Item::Comment(text) => {
                    self.out.push_str(text);
                    if text.starts_with('#') || text.starts_with("//") {
                        self.out.push('\n');
                    }
                }
                Item::Block { name, items } => {
                    self.out.push_str(name);
                    self.gap(false);
                    self.out.push('{');
                    self.items(items);
                    self.gap(false);
                    self.out.push('}');
                }
                Item::Statement { name, form, values } => {
                    self.out.push_str(name);
                    match form {
                        Form::Valueless => {}
                        Form::Set | Form::Append | Form::NameValue => {
                            match form {
                                Form::Set => {
                                    self.gap(false);
                                    self.out.push('=');
                                    self.gap(false);
                                }
                                Form::Append => {
                                    self.gap(false);
                                    self.out.push_str("+=");
                                    self.gap(false);
                                }
                                _ => self.gap(true),
                            }
                            for (i, value) in values.iter().enumerate() {
                                if i > 0 {
                                    self.gap(false);
                                    self.out.push(',');
                                    self.gap(false);
                                }
                                self.out.push_str(value);
                            }
                        }
                    }
                    self.gap(false);
                    self.out.push(';');
                }
            }
        }
        self.gap(false);
    }
}

fn config() -> impl Strategy<Value = (String, Target)> {
    select(Target::ALL.to_vec()).prop_flat_map(|target| {
        let new = target.new_grammar();
        (
            items(new),
            prop::collection::vec(gap(new), 1..40),
            Just(target),
        )
            .prop_map(|(items, gaps, target)| {
                let mut writer = Writer {
                    out: String::new(),
                    gaps: &gaps,
                    next: 0,
                };
                writer.items(&items);
                (writer.out, target)
            })
    })
}

fn options() -> impl Strategy<Value = FormatOptions> {
    (
        prop_oneof![(0u8..9).prop_map(Indent::Spaces), Just(Indent::Tab)],
        any::<bool>(),
        prop_oneof![Just(100usize), 0usize..60],
    )
        .prop_map(|(indent, align, max_width)| FormatOptions {
            indent,
            align,
            max_width,
            line_ending: None,
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    })]

    #[test]
    fn formatting_keeps_the_contracts((text, target) in config(), options in options()) {
        prop_assume!(parse(text.as_bytes(), target).errors.is_empty());
        if let Err(message) = check_in_memory(text.as_bytes(), &options, target) {
            prop_assert!(false, "{}\n--- input ---\n{:?}", message, text);
        }
    }

    #[test]
    fn range_formatting_agrees_with_whole_file_formatting(
        (text, target) in config(),
        options in options(),
        a in 0.0f64..=1.0,
        b in 0.0f64..=1.0,
    ) {
        let text = text.as_bytes();
        prop_assume!(parse(text, target).errors.is_empty());
        let (a, b) = ((a * text.len() as f64) as usize, (b * text.len() as f64) as usize);
        let range = a.min(b)..a.max(b);
        let edits = format_range(text, range.clone(), &options, target).expect("parses");
        prop_assert!(edits.len() <= 1);
        let edited = apply_edits(text, &edits);
        prop_assert!(
            parse(&edited, target).errors.is_empty(),
            "edited text has syntax errors: {:?}", String::from_utf8_lossy(&edited)
        );
        // The edit may remove the line break that decided the line endings
        // of a file that mixes them: compare with the original's.
        let options = FormatOptions {
            line_ending: Some(LineEnding::detect(text)),
            ..options
        };
        let whole = format(text, &options, target).expect("parses");
        let again = format(&edited, &options, target).expect("parses");
        prop_assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(&whole),
            "range {:?} of {:?} gave {:?}", range, String::from_utf8_lossy(text),
            String::from_utf8_lossy(&edited)
        );
        let before = Config::load(MainFile::stdin(text.to_vec()), &DiskLoader, target);
        let after = Config::load(MainFile::stdin(edited.clone()), &DiskLoader, target);
        prop_assert_eq!(meaning(&before), meaning(&after));
    }
}
