//! docs/rules.md is generated from the rule registry and must be current.

use jailconf::commands::explain::markdown;
use jailconf_lint::rules;

#[test]
fn rules_reference_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let expected = markdown(rules::ALL, true);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date; regenerate it with\n  cargo run -- explain --all --format markdown > docs/rules.md"
    );
}
