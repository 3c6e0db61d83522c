//! `jailconf generate` (hidden): shell completions that load in a real bash,
//! zsh/fish scripts, and man pages that `man` (or groff) renders.

use std::path::Path;
use std::process::{Command, Output};

const JAILCONF: &str = env!("CARGO_BIN_EXE_jailconf");
const SUBCOMMANDS: [&str; 5] = ["eval", "lint", "explain", "fmt", "lsp"];

fn jailconf(args: &[&str]) -> Output {
    Command::new(JAILCONF)
        .args(args)
        .output()
        .expect("run jailconf")
}

fn stdout_of(args: &[&str]) -> String {
    let out = jailconf(args);
    assert!(
        out.status.success(),
        "jailconf {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs `script` in bash with the jailconf binary as `$1`.
fn bash(script: &str) -> Output {
    Command::new("bash")
        .args(["-c", script, "bash", JAILCONF])
        .output()
        .expect("run bash")
}

#[test]
fn bash_completion_for_jailconf_loads_and_completes() {
    let out = bash(
        r#"source <("$1" generate completions bash) || exit 1
complete -p jailconf || exit 1
COMP_WORDS=(jailconf li); COMP_CWORD=1; COMP_LINE="jailconf li"; COMP_POINT=11
_jailconf jailconf li jailconf
echo "reply: ${COMPREPLY[*]}""#,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("-F _jailconf jailconf"), "{stdout}");
    assert!(stdout.contains("reply: lint"), "{stdout}");
}

#[test]
fn bash_completion_for_jailfmt_loads() {
    let out = bash(
        r#"source <("$1" generate completions bash --bin jailfmt) || exit 1
complete -p jailfmt"#,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("-F _jailfmt jailfmt"), "{stdout}");
}

#[test]
fn zsh_and_fish_completions_name_the_subcommands() {
    let zsh = stdout_of(&["generate", "completions", "zsh"]);
    assert!(zsh.starts_with("#compdef jailconf"), "{zsh}");
    let fish = stdout_of(&["generate", "completions", "fish"]);
    assert!(fish.contains("complete -c jailconf"), "{fish}");
    for sub in SUBCOMMANDS {
        assert!(zsh.contains(&format!("'{sub}:")), "zsh lacks {sub}");
        assert!(fish.contains(&format!(" -a \"{sub}\"")), "fish lacks {sub}");
    }
    for shell in ["zsh", "fish"] {
        let script = stdout_of(&["generate", "completions", shell, "--bin", "jailfmt"]);
        assert!(script.contains("jailfmt"), "{shell}: {script}");
        assert!(script.contains("check"), "{shell} lacks --check: {script}");
        assert!(!script.contains("explain"), "{shell}: {script}");
    }
}

#[test]
fn unsupported_shell_is_a_usage_error() {
    let out = jailconf(&["generate", "completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn generate_is_hidden_from_help() {
    let help = stdout_of(&["--help"]);
    assert!(!help.contains("generate"), "{help}");
}

/// Renders a man page with `man -l`, else `groff -man`; `None` if neither
/// is installed.
fn render(page: &Path) -> Option<String> {
    let out = if which("man") {
        Command::new("man")
            .arg("-l")
            .arg(page)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .expect("run man")
    } else if which("groff") {
        Command::new("groff")
            .args(["-man", "-Tutf8"])
            .arg(page)
            .output()
            .expect("run groff")
    } else {
        return None;
    };
    assert!(
        out.status.success(),
        "rendering {} failed: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("UTF-8 rendering"))
}

fn which(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn man_pages_are_written_and_render() {
    let dir = tempfile::tempdir().expect("temp dir");
    let man_dir = dir.path().join("share/man/man1");
    let out = jailconf(&["generate", "man", man_dir.to_str().expect("UTF-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut pages: Vec<(String, &str)> = vec![
        ("jailconf".into(), "jail.conf"),
        ("jailfmt".into(), "Format FreeBSD jail.conf(5) files"),
    ];
    for sub in SUBCOMMANDS {
        pages.push((format!("jailconf-{sub}"), sub));
    }
    assert!(
        !man_dir.join("jailconf-generate.1").exists(),
        "the hidden subcommand has no page"
    );

    let mut rendered_any = false;
    for (name, expected) in &pages {
        let page = man_dir.join(format!("{name}.1"));
        let roff =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(roff.contains(".TH "), "{name}: no .TH");
        assert!(roff.contains(".SH NAME"), "{name}: no NAME section");
        assert!(roff.contains(".SH SYNOPSIS"), "{name}: no SYNOPSIS");
        if let Some(text) = render(&page) {
            rendered_any = true;
            assert!(text.contains("NAME"), "{name}: {text}");
            assert!(text.contains(name.as_str()), "{name}: {text}");
            assert!(text.contains(expected), "{name}: {text}");
            assert!(text.contains("OPTIONS"), "{name}: {text}");
        }
    }
    if !rendered_any {
        eprintln!("SKIPPED rendering man pages: neither `man` nor `groff` is installed");
    }

    if let Some(text) = render(&man_dir.join("jailconf.1")) {
        for sub in SUBCOMMANDS {
            assert!(text.contains(&format!("jailconf-{sub}(1)")), "{text}");
        }
        assert!(text.contains("Exit status"), "{text}");
    }
}
