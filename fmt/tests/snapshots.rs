//! Snapshot tests: every fixture of `fixtures/fmt/` and `fixtures/seed/`
//! formatted with the default options (and `options.conf` with several
//! option sets). CR is shown as `␍` and bytes that are not UTF-8 as
//! `⟨xNN⟩`, so line endings and encodings are visible in the snapshots.

use jailconf_fmt::{format, FormatOptions, LineEnding};
use jailconf_parser::settings::Indent;
use jailconf_parser::Target;

fn visible(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\r', "␍"));
        for byte in chunk.invalid() {
            out.push_str(&format!("⟨x{byte:02x}⟩"));
        }
    }
    out
}

fn snapshot(path: &std::path::Path, options: &FormatOptions) -> String {
    let input = std::fs::read(path).expect("read fixture");
    let output = format(&input, options, Target::V15).expect("fixture formats");
    visible(&output)
}

#[test]
fn fixtures() {
    insta::glob!("../../fixtures", "fmt/**/*.conf", |path| {
        insta::assert_snapshot!(snapshot(path, &FormatOptions::default()));
    });
}

#[test]
fn seed() {
    insta::glob!(
        "../../fixtures",
        "seed/{jail.conf,jail.conf.d/*.conf}",
        |path| {
            insta::assert_snapshot!(snapshot(path, &FormatOptions::default()));
        }
    );
}

#[test]
fn options() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fmt/options.conf");
    let sets = [
        (
            "tab-indent",
            FormatOptions {
                indent: Indent::Tab,
                ..FormatOptions::default()
            },
        ),
        (
            "two-spaces-no-align",
            FormatOptions {
                indent: Indent::Spaces(2),
                align: false,
                ..FormatOptions::default()
            },
        ),
        (
            "max-width-40",
            FormatOptions {
                max_width: 40,
                ..FormatOptions::default()
            },
        ),
        (
            "crlf",
            FormatOptions {
                line_ending: Some(LineEnding::CrLf),
                ..FormatOptions::default()
            },
        ),
    ];
    for (name, options) in sets {
        insta::assert_snapshot!(name, snapshot(&path, &options));
    }
}
