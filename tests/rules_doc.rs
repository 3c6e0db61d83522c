//! docs/rules.md is generated from the rule registry and must be current.

use jailconf::commands::explain::markdown;

#[test]
fn rules_reference_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let rules: Vec<_> = jailconf_lint::all_rules().collect();
    let expected = markdown(&rules, true);
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is out of date; regenerate it with\n  cargo run -- explain --all --format markdown > docs/rules.md"
    );
}
