//! Release targeting: the differences between FreeBSD 13, 14 and 15 that
//! the spec records (§3.5, §13, §17), each checked on the `jail -e` output.

use std::path::{Path, PathBuf};

use jailconf_parser::{dump, Config, DiskLoader, MainFile, NoFiles, Target};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/examples")
}

/// `jail -e '|'` output, or `None` when jail(8) would refuse the file.
fn eval_text(text: &str, target: Target) -> Option<String> {
    let config = Config::load(
        MainFile::from_path("t.conf", text.as_bytes().to_vec()),
        &NoFiles,
        target,
    );
    (!config.fatal).then(|| String::from_utf8(dump::jail_e(&config, b"|")).unwrap())
}

fn eval_example(name: &str, target: Target) -> Option<String> {
    let path = examples().join(name);
    let text = std::fs::read(&path).unwrap();
    let config = Config::load(MainFile::from_path(&path, text), &DiskLoader, target);
    (!config.fatal).then(|| String::from_utf8(dump::jail_e(&config, b"|")).unwrap())
}

#[test]
fn include_is_an_ordinary_parameter_on_13() {
    assert_eq!(
        eval_example("14-include.conf", Target::V13).as_deref(),
        Some("name=host|exec.clean|.include=14-include-inner.inc|persist\n")
    );
    assert_eq!(
        eval_example("14-include.conf", Target::V14),
        eval_example("14-include.conf", Target::V15)
    );
}

#[test]
fn top_level_statements_group_by_position_on_13() {
    let example = "19-global-statement-position.conf";
    assert_eq!(
        eval_example(example, Target::V13).as_deref(),
        Some("name=b|path=/late\nname=a|path=/late\n")
    );
    assert_eq!(
        eval_example(example, Target::V14).as_deref(),
        Some("name=b|path=/late\nname=a|path=/a\n")
    );
    let text = "path=/g1; foo {path=/a;} path=/b;";
    assert_eq!(
        eval_text(text, Target::V13).as_deref(),
        Some("name=foo|path=/b\n")
    );
    assert_eq!(
        eval_text(text, Target::V15).as_deref(),
        Some("name=foo|path=/a\n")
    );
}

#[test]
fn statement_after_explicit_wildcard_block_joins_it_on_13() {
    // On 13 the statement joins the `*` block that comes after `a`, so it
    // is applied after a's own statements; on 14+ the global section sits
    // at its first statement, after `*` and `a` too.
    let text = "a { path = /a; } * { persist; } path = /late;";
    assert_eq!(
        eval_text(text, Target::V13).as_deref(),
        Some("name=a|path=/late|persist\n")
    );
    let text = "* { path = /w; } path = /g; a { path = /a; }";
    assert_eq!(
        eval_text(text, Target::V13).as_deref(),
        Some("name=a|path=/a\n")
    );
}

#[test]
fn nested_blocks_and_carriage_returns_need_14() {
    assert_eq!(
        eval_example("05-hierarchy-and-partial-wildcard.conf", Target::V13),
        None
    );
    assert!(eval_example("05-hierarchy-and-partial-wildcard.conf", Target::V14).is_some());
    let crlf = "a {\r\n\tpersist;\r\n}\r\n";
    assert_eq!(eval_text(crlf, Target::V13), None);
    assert_eq!(
        eval_text(crlf, Target::V14).as_deref(),
        Some("name=a|persist\n")
    );
    // A CR inside quotes or a comment is harmless even on 13.
    assert_eq!(
        eval_text("a { x = \"1\r2\"; } # \r\n", Target::V13).as_deref(),
        Some("name=a|x=1\r2\n")
    );
}

#[test]
fn numeric_names_get_a_name_only_on_15() {
    let example = "13-identity-params.conf";
    let on_15 = eval_example(example, Target::V15).unwrap();
    assert!(on_15.starts_with("path=/jails/seven|persist|name=7\n"));
    for target in [Target::V13, Target::V14] {
        let out = eval_example(example, target).unwrap();
        assert!(
            out.starts_with("path=/jails/seven|persist\n"),
            "{target}: {out}"
        );
    }
    // Without the back-fill, `$name` does not exist in a numeric jail.
    let text = "5 { path = \"/j/$name\"; }";
    assert_eq!(eval_text(text, Target::V13).as_deref(), Some("path=/j/\n"));
    assert_eq!(
        eval_text(text, Target::V15).as_deref(),
        Some("path=/j/5|name=5\n")
    );
}

#[test]
fn list_variables_expand_on_every_target() {
    // The 13-era code crashes here; the rule is to behave as 14+ does.
    let expected = eval_example("12-array-substitution.conf", Target::V15);
    for target in [Target::V13, Target::V14] {
        assert_eq!(eval_example("12-array-substitution.conf", target), expected);
    }
}

#[test]
fn zfs_dataset_is_reserved_only_on_15() {
    let text = "${zfs.dataset} = tank; a { persist; }";
    let config = |target| {
        Config::load(
            MainFile::from_path("t.conf", text.as_bytes().to_vec()),
            &DiskLoader,
            target,
        )
    };
    assert!(config(Target::V15)
        .diagnostics
        .iter()
        .any(|d| d.code == "variable-named-like-parameter"));
    assert!(config(Target::V14).diagnostics.is_empty());
}
